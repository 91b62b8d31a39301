import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import type { AccessTokenVerifier } from "@quickstart/auth";
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyServerOptions } from "fastify";
import { authErrorHeaders, findAuthError } from "./http-errors";
import { registerRestRoutes, sendError } from "./rest-routes";
import { type AppRouter, appRouter } from "./root";
import { createFastifyContextFactory } from "./trpc";

export interface AppOptions {
  verifier: AccessTokenVerifier;
  /** `"*"` or a list of allowed origins. */
  corsOrigins?: "*" | string[];
  logger?: FastifyServerOptions["logger"];
}

/**
 * Builds the API (REST mirrors at `/api/*`, tRPC at `/trpc`) without listening, so tests can use
 * `app.inject()` or listen on a port of their choosing.
 */
export async function buildApp({ verifier, corsOrigins = "*", logger = false }: AppOptions) {
  const app = Fastify({ logger, routerOptions: { maxParamLength: 5000 } });

  await app.register(helmet);
  await app.register(cors, {
    origin: corsOrigins === "*" ? "*" : corsOrigins,
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["Content-Type", "Authorization"],
    exposedHeaders: ["WWW-Authenticate", "Retry-After"],
  });

  app.setErrorHandler(sendError);
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ code: "not_found", description: "Not found" }),
  );
  registerRestRoutes(app, verifier);

  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: createFastifyContextFactory(verifier),
      onError({ error, req }) {
        const authError = findAuthError([error]);
        if (authError) req.log.info({ code: authError.code, status: authError.status }, "request refused");
        else if (error.code === "INTERNAL_SERVER_ERROR") req.log.error({ err: error }, "procedure failed");
      },
      // The same WWW-Authenticate / Retry-After headers as the REST mirrors.
      responseMeta({ errors }) {
        const authError = findAuthError(errors);
        return authError ? { headers: authErrorHeaders(authError) } : {};
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });

  return app;
}

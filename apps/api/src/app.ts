import cors from "@fastify/cors";
import type { AccessTokenVerifier } from "@quickstart/auth";
import type { TRPCError } from "@trpc/server";
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyRequest, type FastifyServerOptions } from "fastify";
import helmet from "helmet";
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

  // Helmet's security headers, with its middleware built once: @fastify/helmet rebuilds it on every
  // request, which `pnpm bench` measured at a tenth of a whole REST request's CPU.
  const setSecurityHeaders = helmet();
  app.addHook("onRequest", (request, reply, done) =>
    setSecurityHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined)),
  );
  await app.register(cors, {
    origin: corsOrigins,
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["Content-Type", "Authorization"],
    exposedHeaders: ["WWW-Authenticate", "Retry-After"],
  });

  app.setErrorHandler(sendError);
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ code: "not_found", description: "Not found" }),
  );
  registerRestRoutes(app, verifier);

  const createContext = createFastifyContextFactory(verifier);
  const onError = ({ error, req }: { error: TRPCError; req: FastifyRequest }) => {
    const authError = findAuthError([error]);
    if (authError) req.log.info({ code: authError.code, status: authError.status }, "request refused");
    else if (error.code === "INTERNAL_SERVER_ERROR") req.log.error({ err: error }, "procedure failed");
  };
  // The same WWW-Authenticate / Retry-After headers as the REST mirrors.
  const errorHeaders = (errors: readonly TRPCError[]) => {
    const authError = findAuthError(errors);
    return authError ? authErrorHeaders(authError) : {};
  };

  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext,
      onError,
      responseMeta: ({ errors }) => ({ headers: errorHeaders(errors) }),
    } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });

  return app;
}

import type { AddressInfo } from "node:net";
import cors from "@fastify/cors";
import {
  type AccessTokenVerifier,
  authErrorResponse,
  type ChallengeOptions,
  createMemoryReplayStore,
  createRequestAuthenticator,
} from "@quickstart/auth";
import type { TRPCRouterRecord } from "@trpc/server";
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyServerOptions } from "fastify";
import type { DpopOptions } from "./dpop-options";
import { healthRoutes } from "./health";
import { createRestErrorHandler, findAuthError, logRefusal } from "./http-errors";
import { createOriginCheck, MCP_PATH, mcpEndpoint } from "./mcp";
import type { ApiMetrics } from "./metrics";
import { openApi } from "./openapi";
import { protectedResourceMetadataUrl, registerProtectedResourceMetadata } from "./protected-resource";
import { appProcedures } from "./root";
import { addSecurityHeaders, restSecurityHeaders } from "./security-headers";
import { createHttpContextFactory, router } from "./trpc";
import { DEFAULT_MAX_BATCH_SIZE } from "./trpc-batch";

export interface AppOptions {
  verifier: AccessTokenVerifier;
  /** `"*"` or a list of allowed origins. */
  corsOrigins?: "*" | string[];
  logger?: FastifyServerOptions["logger"];
  /**
   * Where clients reach the API, without a trailing slash (API_PUBLIC_URL). Default:
   * `http://localhost:<the port it listens on>`.
   */
  publicUrl?: string | undefined;
  /** The procedures to serve; the app's own by default (tests add theirs). */
  procedures?: TRPCRouterRecord;
  /** AUTH_CA_FILE, for the OpenAPI document's discovery request to the issuer. */
  issuerCaFile?: string | undefined;
  /** AUTH_ISSUER_INTERNAL_URL, as the verifier's `fetchOrigins`: where that discovery request goes instead. */
  issuerFetchOrigins?: Readonly<Record<string, string>> | undefined;
  /** True once shutdown has begun (see server.ts): `/readyz` then answers 503. */
  draining?: () => boolean;
  /** DPoP (RFC 9449); by default `allowed`, with an in-memory replay store (closed with the app). */
  dpop?: DpopOptions;
  /** Prometheus metrics (metrics.ts): requests are timed and decisions counted when given. */
  metrics?: ApiMetrics | undefined;
  /** At most this many calls per tRPC batch request (TRPC_MAX_BATCH_SIZE); a larger batch gets 400, none run. */
  maxBatchSize?: number;
}

/**
 * Builds the API (tRPC at `/trpc`, REST mirrors at `/api/*`, their OpenAPI document and docs, MCP
 * tools at `/mcp`, RFC 9728 metadata) without listening, so tests can use `app.inject()` or listen
 * on a port of their choosing.
 */
export async function buildApp({
  verifier,
  corsOrigins = "*",
  logger = false,
  publicUrl: configuredPublicUrl,
  procedures = appProcedures,
  issuerCaFile,
  issuerFetchOrigins,
  draining,
  dpop = {},
  metrics,
  maxBatchSize = DEFAULT_MAX_BATCH_SIZE,
}: AppOptions) {
  // X-Request-Id (set by the load balancer, see deploy/nginx) becomes the request id in the logs; on
  // close, idle keep-alive connections are closed and requests arriving on busy ones get a 503.
  const app = Fastify({
    logger,
    routerOptions: { maxParamLength: 5000 },
    requestIdHeader: "x-request-id",
    forceCloseConnections: "idle",
    return503OnClosing: true,
  });
  metrics?.observeRequests(app);

  let publicUrl = configuredPublicUrl?.replace(/\/+$/, "") ?? "http://localhost";
  if (configuredPublicUrl === undefined) {
    app.addHook("onListen", (done) => {
      publicUrl = `http://localhost:${(app.server.address() as AddressInfo).port}`;
      done();
    });
  }
  const getPublicUrl = () => publicUrl;

  const { replayStore = createMemoryReplayStore(), nonces, ...dpopConfig } = dpop;
  if (dpop.replayStore === undefined) app.addHook("onClose", () => replayStore.close());
  const authenticator = createRequestAuthenticator(verifier, {
    dpop: dpopConfig,
    publicUrl: getPublicUrl,
    replayStore,
    nonces,
    observer: metrics?.authObserver,
  });
  // Each resource's challenges name its own RFC 9728 metadata: the API's, or its MCP endpoint's.
  const challengesFor = (resourcePath: string) => (): ChallengeOptions => ({
    resourceMetadata: protectedResourceMetadataUrl(publicUrl, resourcePath),
    dpop: authenticator.dpop,
  });
  const challenges = challengesFor("");

  addSecurityHeaders(app, restSecurityHeaders({ https: publicUrl.startsWith("https:") }));
  await app.register(cors, {
    origin: corsOrigins,
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: ["Content-Type", "Authorization", "DPoP", "Mcp-Protocol-Version"],
    exposedHeaders: ["WWW-Authenticate", "Retry-After", "DPoP-Nonce"],
  });

  app.setErrorHandler(createRestErrorHandler(challenges));
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ code: "not_found", description: "Not found" }),
  );
  await app.register(healthRoutes, { verifier, draining });

  const appRouter = router(procedures);
  const createRestContext = createHttpContextFactory(authenticator, metrics?.decisions("rest"));
  registerProtectedResourceMetadata(app, {
    issuers: verifier.issuers,
    publicUrl: getPublicUrl,
    dpop: authenticator.dpop,
  });
  await app.register(openApi, {
    procedures,
    router: appRouter,
    createContext: createRestContext,
    issuer: verifier.issuer,
    publicUrl: getPublicUrl,
    issuerCaFile,
    issuerFetchOrigins,
  });

  await app.register(mcpEndpoint, {
    procedures,
    router: appRouter,
    createContext: createHttpContextFactory(authenticator, metrics?.decisions("mcp")),
    challenges: challengesFor(MCP_PATH),
    isAllowedOrigin: createOriginCheck(corsOrigins, getPublicUrl),
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: createHttpContextFactory(authenticator, metrics?.decisions("trpc")),
      maxBatchSize,
      onError: ({ error, req }) => {
        const authError = findAuthError(error);
        if (authError) logRefusal(req.log, authError);
        else if (error.code === "INTERNAL_SERVER_ERROR") req.log.error({ err: error }, "procedure failed");
      },
      // The same status, WWW-Authenticate and Retry-After as the REST mirrors, from the same mapping.
      responseMeta: ({ errors }) => {
        const authError = errors.map(findAuthError).find((found) => found !== undefined);
        return authError ? { headers: authErrorResponse(authError, challenges()).headers } : {};
      },
    } satisfies FastifyTRPCPluginOptions<ReturnType<typeof router>>["trpcOptions"],
  });

  return app;
}

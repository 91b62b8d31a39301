import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createAccessTokenVerifier } from "@quickstart/auth";
import closeWithGrace from "close-with-grace";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { buildApp } from "./app";
import { dpopOptionsFromEnv } from "./dpop-options";
import { describeAuthSettings, readEnv, verifierConfigFromEnv } from "./env";
import { createApiMetrics, listenForMetrics } from "./metrics";
import { createPrettyLogStream } from "./pretty-log";

const startedAt = performance.now();
const env = readEnv();
const config = verifierConfigFromEnv(env);
let draining = false;
// The replay store's later Redis errors go to the request log, once there is one.
let log: Pick<FastifyBaseLogger, "info" | "warn"> | undefined;
let dpop: Awaited<ReturnType<typeof dpopOptionsFromEnv>>;
try {
  dpop = await dpopOptionsFromEnv(env, {
    info: (details, message) => log?.info(details, message),
    warn: (details, message) => log?.warn(details, message),
  });
} catch (error) {
  console.error(`Invalid configuration: ${(error as Error).message}`);
  process.exit(1);
}
// METRICS_PORT turns metrics on; unset, nothing is counted or timed.
const metrics = env.METRICS_PORT === undefined ? undefined : createApiMetrics();
const app = await buildApp({
  verifier: createAccessTokenVerifier(config, {
    observer: metrics?.authObserver,
    // The verifier logs key-set fetches through the same structured logger as requests.
    logger: {
      info: (details, message) => app.log.info(details, message),
      warn: (details, message) => app.log.warn(details, message),
    },
  }),
  corsOrigins: env.CORS_ORIGINS,
  publicUrl: env.API_PUBLIC_URL,
  issuerCaFile: env.AUTH_CA_FILE,
  issuerFetchOrigins: config.fetchOrigins,
  logger: {
    level: env.LOG_LEVEL,
    ...(env.LOG_FORMAT === "pretty" ? { stream: await createPrettyLogStream() } : {}),
  },
  draining: () => draining,
  dpop,
  metrics,
  maxBatchSize: env.TRPC_MAX_BATCH_SIZE,
});
log = app.log;
// After the last request: a Redis replay store's connection closes with the app.
app.addHook("onClose", () => dpop.replayStore.close());
// The metrics listener closes with the API, so Prometheus sees the last requests counted.
let metricsServer: FastifyInstance | undefined;
app.addHook("onClose", async () => {
  await metricsServer?.close();
});

const inFlight = trackRequestsInFlight(app.server);
const { SHUTDOWN_DELAY_MS: delayMs, SHUTDOWN_TIMEOUT_MS: timeoutMs } = env;

// SIGTERM or SIGINT: /readyz turns 503 at once, requests are served for SHUTDOWN_DELAY_MS more (so
// load balancers stop routing here), then Fastify stops accepting, finishes what is in flight and
// closes idle keep-alive connections. Past SHUTDOWN_TIMEOUT_MS, what is left is logged and abandoned.
// Installed before listening, so that no signal finds the process without it.
const shutdown = closeWithGrace(
  {
    // SIGINT is handled below.
    skip: ["SIGINT"],
    delay: delayMs + timeoutMs,
    logger: { error: (message: unknown) => app.log.error(message) },
    onTimeout: () => {
      app.log.error(
        { abandoned: inFlight.describe() },
        `Shutdown timed out after SHUTDOWN_TIMEOUT_MS=${timeoutMs}: abandoning ${inFlight.size()} request(s) in flight`,
      );
    },
  },
  async ({ signal, err, manual }) => {
    if (err) app.log.error({ err }, "Unexpected error: shutting down");
    draining = true;
    inFlight.closeConnectionsAfterAnswers();
    app.log.info(
      { signal: manual ? "SIGINT" : signal, delayMs, timeoutMs },
      "Shutting down: /readyz answers 503",
    );
    await sleep(delayMs);
    await app.close();
    app.log.info("Shut down: every request answered");
  },
);
// Ctrl-C reaches us twice, from the terminal and forwarded by pnpm: the first starts the same
// shutdown, and a repeat must not kill it (close-with-grace exits 1 on a second signal).
process.on("SIGINT", () => {
  if (!draining) shutdown.close();
});

let metricsUrl: string | undefined;
try {
  await app.listen({ port: env.PORT, host: env.HOST });
} catch (error) {
  failToListen("PORT", env.PORT, error);
}
if (metrics && env.METRICS_PORT !== undefined) {
  try {
    metricsServer = await listenForMetrics(metrics, {
      host: env.HOST,
      port: env.METRICS_PORT,
      logger: app.log,
    });
  } catch (error) {
    failToListen("METRICS_PORT", env.METRICS_PORT, error);
  }
  const { port } = metricsServer.server.address() as AddressInfo;
  metricsUrl = `http://${env.HOST.includes(":") ? `[${env.HOST}]` : env.HOST}:${port}/metrics`;
}
// One line with every authentication setting in effect, profile defaults filled in.
app.log.info(
  {
    ...describeAuthSettings(config),
    readyInMs: Math.round(performance.now() - startedAt),
    ...(metricsUrl ? { metricsUrl } : {}),
  },
  "API ready",
);

/** Logs why `variable`'s port could not be listened on, naming the variable, and exits 1. */
function failToListen(variable: string, port: number, error: unknown): never {
  const code = (error as { code?: string }).code;
  app.log.fatal(
    code === "EADDRINUSE"
      ? `Port ${port} is already in use: set ${variable} to another port or stop the other process`
      : `Could not listen on ${env.HOST}:${port} (${variable}): ${(error as Error).message}`,
  );
  process.exit(1);
}

/**
 * The requests in flight, for two jobs: once draining, their answers (and every later one) close
 * the connection, which Node's `server.close()` would otherwise leave open once they turn idle; and
 * on timeout, the method, URL, request id and age of each one abandoned.
 */
function trackRequestsInFlight(server: Server) {
  const requests = new Map<IncomingMessage, { response: ServerResponse; startedAt: number }>();
  let closeConnections = false;
  const closeAfterAnswer = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader("connection", "close");
  };
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    requests.set(request, { response, startedAt: performance.now() });
    response.once("close", () => requests.delete(request));
    if (closeConnections) closeAfterAnswer(response);
  });
  return {
    closeConnectionsAfterAnswers() {
      closeConnections = true;
      for (const { response } of requests.values()) closeAfterAnswer(response);
    },
    size: () => requests.size,
    describe: () =>
      [...requests].map(([request, { startedAt }]) => ({
        method: request.method,
        url: request.url,
        requestId: request.headers["x-request-id"],
        ageMs: Math.round(performance.now() - startedAt),
      })),
  };
}

import { createAccessTokenVerifier } from "@quickstart/auth";
import { buildApp } from "./app";
import { readEnv, verifierConfigFromEnv } from "./env";
import { createPrettyLogStream } from "./pretty-log";

const startedAt = performance.now();
const env = readEnv();
const config = verifierConfigFromEnv(env);
const app = await buildApp({
  verifier: createAccessTokenVerifier(config, {
    // The verifier logs key-set fetches through the same structured logger as requests.
    logger: {
      info: (details, message) => app.log.info(details, message),
      warn: (details, message) => app.log.warn(details, message),
    },
  }),
  corsOrigins: env.CORS_ORIGINS,
  publicUrl: env.API_PUBLIC_URL,
  issuerCaFile: env.AUTH_CA_FILE,
  logger: {
    level: env.LOG_LEVEL,
    ...(env.LOG_FORMAT === "pretty" ? { stream: await createPrettyLogStream() } : {}),
  },
});

try {
  await app.listen({ port: env.PORT, host: env.HOST });
} catch (error) {
  const code = (error as { code?: string }).code;
  app.log.fatal(
    code === "EADDRINUSE"
      ? `Port ${env.PORT} is already in use: set PORT to another port or stop the other process`
      : `Could not listen on ${env.HOST}:${env.PORT}: ${(error as Error).message}`,
  );
  process.exit(1);
}
app.log.info(
  { issuer: config.issuer, audience: config.audience, readyInMs: Math.round(performance.now() - startedAt) },
  "API ready",
);

// `on`, not `once`: Ctrl-C reaches us both from the terminal and forwarded by pnpm, and a second
// signal must not kill the process while it closes (pnpm would report "Command failed").
let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    void app.close().then(() => process.exit(0));
  });
}

import { createAccessTokenVerifier } from "@quickstart/auth";
import { buildApp } from "./app";
import { readEnv, verifierConfigFromEnv } from "./env";

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
  logger: { level: env.LOG_LEVEL },
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

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}

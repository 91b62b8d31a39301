// `pnpm --filter @quickstart/issuer start`: the development issuer on its own.
import { devIssuerRefusal, IssuerEnvError, readIssuerEnv } from "./env";
import { startIssuer } from "./start-issuer";

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let env: ReturnType<typeof readIssuerEnv>;
try {
  env = readIssuerEnv();
} catch (error) {
  fail(error instanceof IssuerEnvError ? error.message : String(error));
}
const refusal = devIssuerRefusal(env);
if (refusal) fail(refusal);

const issuer = await startIssuer({
  port: env.ISSUER_PORT,
  host: env.ISSUER_HOST,
  audience: env.API_AUDIENCE,
  webOrigins: env.WEB_ORIGIN,
  apiOrigins: env.API_ORIGIN,
  dataDir: env.ISSUER_DATA_DIR,
  accessTokenFormat: env.ISSUER_ACCESS_TOKEN_FORMAT,
}).catch((error: unknown) => fail((error as Error).message));

console.log(`Development issuer ready at ${issuer.url} (API audience ${env.API_AUDIENCE.join(", ")})`);
// Printed once, on purpose: the demo machine client is how you get a token with curl.
console.log(
  `Machine client: client_id=${issuer.machineClient.clientId} client_secret=${issuer.machineClient.clientSecret}`,
);

if (issuer.introspectionClient) {
  const { clientId, clientSecret } = issuer.introspectionClient;
  console.log(
    `Opaque access tokens: the API introspects them at ${issuer.url}oauth/introspect with AUTH_INTROSPECTION_CLIENT_ID=${clientId} AUTH_INTROSPECTION_CLIENT_SECRET=${clientSecret}`,
  );
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void issuer.close().then(() => process.exit(0));
  });
}

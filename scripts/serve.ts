// `pnpm serve` (built API + `vite preview`) and `pnpm dev` (`tsx watch` + `vite`): starts the embedded
// issuer (unless AUTH_ISSUER or AUTHOK_DOMAIN names a real one), the API and the web app, waits
// until each answers, prints where everything is, and stops them all on Ctrl-C.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  devIssuerRefusal,
  IssuerEnvError,
  parseIssuerEnv,
  type RunningIssuer,
  startIssuer,
  WEB_CLIENT_ID,
} from "@quickstart/issuer";
import { apiStartCommand } from "./lib/api-start-command";
import { type ManagedChild, startChild } from "./lib/child-process-group";
import { loadRootEnv } from "./lib/root-env";
import { isPortInUse, waitForHttp } from "./lib/wait-for";

const dev = process.argv.includes("--dev");
const fromRoot = (path: string) => fileURLToPath(new URL(path, new URL("../", import.meta.url)));

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

// The root .env fills in what the environment does not set (the environment wins).
loadRootEnv();
const env = process.env;

const apiPort = portFrom("PORT", 3010);
const webPort = portFrom("WEB_PORT", 3000);
const webOrigin = `http://localhost:${webPort}`;
const apiUrl = `http://localhost:${apiPort}`;
const embedded = !env.AUTHOK_DOMAIN && !env.AUTH_ISSUER;

// 1. Check the ports first, so a clash is one clear line rather than a stack from a child.
const ports: [number, string, string][] = [
  [apiPort, "API", "PORT"],
  [webPort, "web app", "WEB_PORT"],
];
let issuerSettings: ReturnType<typeof parseIssuerEnv> | undefined;
if (embedded) {
  try {
    issuerSettings = parseIssuerEnv({ WEB_ORIGIN: webOrigin, ...env });
  } catch (error) {
    fail(error instanceof IssuerEnvError ? error.message : String(error));
  }
  const refusal = devIssuerRefusal(issuerSettings);
  if (refusal) fail(refusal);
  ports.push([issuerSettings.ISSUER_PORT, "issuer", "ISSUER_PORT"]);
}
for (const [port, part, variable] of ports) {
  if (await isPortInUse(port))
    fail(`Port ${port} (${part}) is already in use; set ${variable}=... or stop the other process.`);
}

// 2. The issuer, in this process: it prints the machine client's secret in the summary below.
let issuer: RunningIssuer | undefined;
if (issuerSettings) {
  issuer = await startIssuer({
    port: issuerSettings.ISSUER_PORT,
    host: "localhost",
    audience: issuerSettings.API_AUDIENCE,
    webOrigins: issuerSettings.WEB_ORIGIN,
    dataDir: issuerSettings.ISSUER_DATA_DIR,
  }).catch((error: unknown) => fail((error as Error).message));
}
const issuerUrl = issuer?.url ?? env.AUTH_ISSUER ?? `https://${env.AUTHOK_DOMAIN}/`;
const audience = issuerSettings?.API_AUDIENCE ?? env.API_AUDIENCE;
if (!audience)
  fail("API_AUDIENCE is required with AUTH_ISSUER/AUTHOK_DOMAIN: the API's identifier at your issuer.");
if (!dev && issuer && issuer.url !== "http://localhost:3020/") {
  console.warn(
    `Note: the web app was built for the issuer in AUTH_ISSUER (default http://localhost:3020/); set AUTH_ISSUER=${issuer.url} when building.`,
  );
}

// 3. The API and the web app, with the issuer settings in their environment.
const childEnv: NodeJS.ProcessEnv = {
  ...env,
  ...(issuer ? { AUTH_ISSUER: issuer.url, WEB_CLIENT_ID: env.WEB_CLIENT_ID ?? WEB_CLIENT_ID } : {}),
  API_AUDIENCE: audience,
  PORT: String(apiPort),
  WEB_PORT: String(webPort),
  API_URL: env.API_URL ?? apiUrl,
  CORS_ORIGINS: env.CORS_ORIGINS ?? webOrigin,
};
if (!childEnv.WEB_CLIENT_ID)
  console.warn("Note: WEB_CLIENT_ID is not set, so the web app cannot sign in at your issuer.");

const apiEntry = fromRoot("apps/api/dist/server.js");
if (!dev && !existsSync(apiEntry))
  fail("apps/api/dist/server.js is missing: run `pnpm serve` (it builds first) or `pnpm build`.");
const apiStart = apiStartCommand(fromRoot("."));
const vite = fromRoot("apps/web/node_modules/.bin/vite");
const viteArgs = dev ? [] : ["preview"];
/** Each child with the name used in messages and the URL that answers once it is ready. */
const parts: { child: ManagedChild; label: string; url: string }[] = [
  {
    child: dev
      ? startChild("api", fromRoot("node_modules/.bin/tsx"), ["watch", "src/server.ts"], {
          cwd: fromRoot("apps/api"),
          env: childEnv,
        })
      : startChild("api", apiStart.command, apiStart.args, { cwd: fromRoot("apps/api"), env: childEnv }),
    label: "API",
    url: `${apiUrl}/api/public`,
  },
  {
    child: startChild(
      "web",
      vite,
      [...viteArgs, "--port", String(webPort), "--strictPort", "--host", "localhost"],
      { cwd: fromRoot("apps/web"), env: childEnv },
    ),
    label: "web app",
    url: `${webOrigin}/`,
  },
];

let stopping = false;
async function stopAll(code: number): Promise<never> {
  stopping = true;
  await Promise.all(parts.map(({ child }) => child.stop()));
  await issuer?.close();
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return; // A second Ctrl-C while stopping: the grace timers will SIGKILL.
    console.log("\nStopping...");
    void stopAll(0);
  });
}
for (const { child, label } of parts) {
  void child.exited.then((code) => {
    if (stopping) return;
    console.error(`\nThe ${label} stopped (exit ${code}); stopping the rest.`);
    void stopAll(1);
  });
}

// 4. Wait until each answers over HTTP.
const timeoutMs = dev ? 60_000 : 30_000;
const ready = await Promise.all(parts.map(({ child, url }) => waitForHttp(url, timeoutMs, child.exited)));
for (const [index, { child, label, url }] of parts.entries()) {
  if (!ready[index] && !stopping) {
    console.error(
      `\nThe ${label} did not answer on ${url} within ${timeoutMs / 1000} s. Its last log lines:`,
    );
    for (const line of child.lastLines()) console.error(`  ${line}`);
    await stopAll(1);
  }
}

// 5. The summary.
const rows: [string, string][] = [
  ["Web app", `${webOrigin}/`],
  ["API", `${apiUrl}/api/public  (REST; tRPC at ${apiUrl}/trpc)`],
  ["Issuer", `${issuerUrl}${issuer ? "  (embedded development issuer)" : ""}`],
];
console.log(`\nReady${dev ? " (watch mode)" : ""}:\n`);
for (const [name, url] of rows) console.log(`  ${name.padEnd(8)} ${url}`);
if (issuer) {
  console.log("\n  Sign in as alice / wonderland (has read:messages) or bob / builder (does not).");
  console.log(
    `  Machine client: client_id=${issuer.machineClient.clientId}  client_secret=${issuer.machineClient.clientSecret}`,
  );
}
console.log(`\n  curl -H "Authorization: Bearer $(pnpm --silent get-token)" ${apiUrl}/api/private`);
console.log("  pnpm call");
console.log("\nPress Ctrl-C to stop.\n");

function portFrom(variable: string, fallback: number): number {
  const value = env[variable];
  if (value === undefined || value === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(`${variable} must be a port number (1-65535), got "${value}".`);
  return port;
}

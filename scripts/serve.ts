// `pnpm serve` (built API + `vite preview`) and `pnpm dev` (`tsx watch` + `vite`): starts the embedded
// issuer (unless AUTH_ISSUER or AUTHOK_DOMAIN names a real one), the API and the web app, waits
// until each answers, prints where everything is, and stops them all on Ctrl-C.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  devIssuerRefusal,
  IssuerEnvError,
  type IssuerLogger,
  parseIssuerEnv,
  type RunningIssuer,
  startIssuer,
  WEB_CLIENT_ID,
} from "@quickstart/issuer";
import { apiUrlFromEnv, DEFAULT_API_PORT } from "./lib/api-url";
import { type ManagedChild, startChild } from "./lib/child-process-group";
import { choosePorts, type PortRequest } from "./lib/choose-ports";
import { firstOfList, loadRootEnv } from "./lib/root-env";
import { waitForHttp } from "./lib/wait-for";

const dev = process.argv.includes("--dev");
const fromRoot = (path: string) => fileURLToPath(new URL(path, new URL("../", import.meta.url)));
const DEFAULT_ISSUER_PORT = 3020;
const DEFAULT_METRICS_PORT = 3030;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

// The root .env fills in what the environment does not set (the environment wins).
loadRootEnv();
const env = process.env;
const embedded = !env.AUTHOK_DOMAIN && !env.AUTH_ISSUER;

let issuerSettings: ReturnType<typeof parseIssuerEnv> | undefined;
if (embedded) {
  try {
    issuerSettings = parseIssuerEnv(env);
  } catch (error) {
    fail(error instanceof IssuerEnvError ? error.message : String(error));
  }
  const refusal = devIssuerRefusal(issuerSettings);
  if (refusal) fail(refusal);
}

// 1. The ports. A taken one moves to the next free port when everything that names it follows:
//    the web app's URL is a redirect URI registered at the issuer, so it moves only with the
//    embedded issuer and no WEB_ORIGIN of yours; the API's only with no API_URL (nor, with the
//    embedded issuer, API_ORIGIN) of yours.
const requests: PortRequest[] = [
  {
    service: "API",
    wanted: portFrom("PORT", DEFAULT_API_PORT),
    movable: !env.API_URL && !(embedded && env.API_ORIGIN),
    fix: "set PORT to a free port (and API_URL, where the web app and `pnpm call` find the API)",
  },
  {
    service: "web app",
    wanted: portFrom("WEB_PORT", 3000),
    movable: embedded && !env.WEB_ORIGIN,
    fix: embedded
      ? "set WEB_PORT to a free port and WEB_ORIGIN to http://localhost:<that port>"
      : "set WEB_PORT to a free port and allow http://localhost:<that port>/ as a callback, logout URL and web origin at your issuer",
  },
  {
    service: "metrics",
    wanted: portFrom("METRICS_PORT", DEFAULT_METRICS_PORT),
    movable: true,
    fix: "set METRICS_PORT to a free port",
  },
];
if (issuerSettings && issuerSettings.ISSUER_PORT !== 0) {
  requests.push({
    service: "issuer",
    wanted: issuerSettings.ISSUER_PORT,
    movable: true,
    fix: "set ISSUER_PORT to a free port",
  });
}
const chosen = await choosePorts(requests);
if ("problems" in chosen) fail(chosen.problems.join("\n"));
for (const note of chosen.notes) console.log(note);
const [apiPort, webPort, metricsPort, movedIssuerPort] = chosen.ports as [
  number,
  number,
  number,
  number | undefined,
];
const issuerPort = movedIssuerPort ?? issuerSettings?.ISSUER_PORT;
const webOrigin = `http://localhost:${webPort}`;
const apiUrl = apiUrlFromEnv({ ...env, PORT: String(apiPort) });
// The API's MCP endpoint, as its RFC 9728 metadata names it (API_PUBLIC_URL, else where it listens).
const mcpUrl = `${(env.API_PUBLIC_URL?.trim() || apiUrl).replace(/\/+$/, "")}/mcp`;
// The API's identifiers at the embedded issuer: yours (default https://quickstarts/api, the default
// audience) and the MCP endpoint's URL, which MCP clients send as their `resource` (RFC 8707). Both
// name this one API, so the API accepts a token for either on every route.
const embeddedAudiences = issuerSettings && [...new Set([...issuerSettings.API_AUDIENCE, mcpUrl])];

// 2. The issuer, in this process: it prints the machine client's secret in the summary below.
const issuerLog: IssuerLogger = {
  info: (message: string) => console.log(`[issuer] ${message}`),
  warn: (message: string) => console.warn(`[issuer] ${message}`),
  error: (message: string) => console.error(`[issuer] ${message}`),
};
let issuer: RunningIssuer | undefined;
if (issuerSettings) {
  issuer = await startIssuer({
    port: issuerPort,
    host: "localhost",
    audience: embeddedAudiences,
    // Your WEB_ORIGIN, else the web app's origin on the port chosen above.
    webOrigins: env.WEB_ORIGIN ? issuerSettings.WEB_ORIGIN : [webOrigin],
    // Your API_ORIGIN, else the API's: its /docs page may get the machine client's tokens.
    apiOrigins: env.API_ORIGIN ? issuerSettings.API_ORIGIN : [originOf(apiUrl)],
    dataDir: issuerSettings.ISSUER_DATA_DIR,
    accessTokenFormat: issuerSettings.ISSUER_ACCESS_TOKEN_FORMAT,
    logger: issuerLog,
  }).catch((error: unknown) => fail((error as Error).message));
}
const issuerUrl = issuer?.url ?? firstOfList(env.AUTH_ISSUER) ?? `https://${firstOfList(env.AUTHOK_DOMAIN)}/`;
const audience = embeddedAudiences ? embeddedAudiences.join(",") : env.API_AUDIENCE;
if (!audience)
  fail("API_AUDIENCE is required with AUTH_ISSUER/AUTHOK_DOMAIN: the API's identifier at your issuer.");

// 3. The API and the web app, with the issuer settings in their environment. The web app serves
//    them to the browser as /config.json, so the build does not depend on them.
const childEnv: NodeJS.ProcessEnv = {
  ...env,
  ...(issuer ? { AUTH_ISSUER: issuer.url, WEB_CLIENT_ID: env.WEB_CLIENT_ID ?? WEB_CLIENT_ID } : {}),
  // Opaque mode: the API introspects the issuer's tokens as the client the issuer made for it.
  ...(issuer?.introspectionClient
    ? {
        AUTH_INTROSPECTION_CLIENT_ID: issuer.introspectionClient.clientId,
        AUTH_INTROSPECTION_CLIENT_SECRET: issuer.introspectionClient.clientSecret,
      }
    : {}),
  API_AUDIENCE: audience,
  PORT: String(apiPort),
  WEB_PORT: String(webPort),
  // Prometheus metrics on their own local port (off in `pnpm start:api` unless METRICS_PORT is set).
  METRICS_PORT: String(metricsPort),
  API_URL: apiUrl,
  CORS_ORIGINS: env.CORS_ORIGINS ?? webOrigin,
  // One readable line per request here; `pnpm start:api` and containers keep JSON.
  LOG_FORMAT: env.LOG_FORMAT ?? "pretty",
};
if (!childEnv.WEB_CLIENT_ID)
  console.warn("Note: WEB_CLIENT_ID is not set, so the web app cannot sign in at your issuer.");

if (!dev && !existsSync(fromRoot("apps/api/dist/server.js")))
  fail("apps/api/dist/server.js is missing: run `pnpm serve` (it builds first) or `pnpm build`.");
if (!dev && !existsSync(fromRoot("apps/web/dist/index.html")))
  fail("apps/web/dist/index.html is missing: run `pnpm serve` (it builds first) or `pnpm build`.");
// The pnpm running this script (npx's copy when pnpm is not on PATH, see bootstrap.mjs).
const pnpm: [string, string[]] = /pnpm\.c?js$/.test(env.npm_execpath ?? "")
  ? [process.execPath, [env.npm_execpath as string]]
  : ["pnpm", []];
const vite = fromRoot("apps/web/node_modules/.bin/vite");
/** Each child with the name used in messages and the URL that answers once it is ready. */
const parts: { child: ManagedChild; label: string; url: string }[] = [
  {
    // As users start it (`pnpm start:api`, or tsx watch through the API's `dev` script). pnpm's
    // shell emulator instead of `sh -c`, which dies of the SIGINT that stops the API and makes pnpm
    // print "Command failed with signal".
    child: startChild(
      "api",
      pnpm[0],
      [
        ...pnpm[1],
        "--config.shell-emulator=true",
        "--silent",
        "--filter",
        "@quickstart/api",
        dev ? "dev" : "start",
      ],
      { cwd: fromRoot("."), env: childEnv },
    ),
    label: "API",
    url: `${apiUrl}/api/public`,
  },
  {
    child: startChild(
      "web",
      vite,
      [...(dev ? [] : ["preview"]), "--port", String(webPort), "--strictPort", "--host", "localhost"],
      // The web app asks for a token for the first of API_AUDIENCE (apps/web/src/env.ts).
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

// 5. The summary. Commands in another terminal see only the defaults and .env: name moved ports.
const tokenEnv = issuer && issuer.port !== DEFAULT_ISSUER_PORT ? `ISSUER_PORT=${issuer.port} ` : "";
const callEnv = !env.API_URL && apiPort !== DEFAULT_API_PORT ? `PORT=${apiPort} ` : "";
const rows: [string, string][] = [
  ["Web app", `${webOrigin}/`],
  ["API", `${apiUrl}/api/public  (REST; tRPC at ${apiUrl}/trpc)`],
  ["API docs", `${apiUrl}/docs  (Swagger UI: Authorize, then Try it out)`],
  ["MCP", `${mcpUrl}  (tools for AI agents: README, "Connect an AI agent")`],
  ["Metrics", `http://localhost:${metricsPort}/metrics  (Prometheus; not on the API's port)`],
  ["Issuer", `${issuerUrl}${issuer ? "  (embedded development issuer)" : ""}`],
];
console.log(`\nReady${dev ? " (watch mode)" : ""}:\n`);
for (const [name, url] of rows) console.log(`  ${name.padEnd(8)} ${url}`);
if (issuer) {
  console.log("\n  Sign in as alice / wonderland (has read:messages) or bob / builder (does not).");
  console.log(
    `  Machine client: client_id=${issuer.machineClient.clientId}  client_secret=${issuer.machineClient.clientSecret}`,
  );
  if (issuer.introspectionClient) {
    console.log(
      "  Access tokens are opaque: the API checks each one at the issuer (RFC 7662 introspection).",
    );
  }
}
console.log(
  `\n  curl -H "Authorization: Bearer $(${tokenEnv}pnpm --silent get-token)" ${apiUrl}/api/private`,
);
console.log(`  ${tokenEnv}${callEnv}pnpm call`);
console.log("\nPress Ctrl-C to stop.\n");

function originOf(url: string): string {
  const origin = URL.parse(url)?.origin;
  if (!origin || origin === "null")
    fail(`API_URL must be a URL such as http://localhost:3010, got "${url}".`);
  return origin;
}

function portFrom(variable: string, fallback: number): number {
  const value = env[variable];
  if (value === undefined || value === "") return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(`${variable} must be a port number (1-65535), got "${value}".`);
  return port;
}

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, type Page, test } from "@playwright/test";
import { MESSAGES } from "@quickstart/api";
import { readMachineClient } from "@quickstart/issuer";
import { ALL_CALLS, expectResult, runAllCalls, submitLogin } from "./spa-page";

// `pnpm serve` (what `npm start` runs after installing) as a user starts it, with ports of its own
// choosing for the API, the web app and the issuer, two of them already taken by someone else.
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
// The pnpm running this test (npm_execpath), which may not be on PATH (see scripts/bootstrap.mjs).
const pnpm = /pnpm\.c?js$/.test(process.env.npm_execpath ?? "")
  ? [process.execPath, process.env.npm_execpath as string]
  : ["pnpm"];

test.describe.configure({ mode: "serial" });

let serve: ChildProcess;
let output = "";
let exited: Promise<number | string>;
const blockers: Server[] = [];
let dataDir: string;
let wanted: { api: number; web: number; issuer: number; metrics: number };
let urls: { web: string; api: string; issuer: string; metrics: string };

/** Listens on 127.0.0.1:port, as another program holding that port would. */
function block(port: number): Promise<void> {
  const server = createServer();
  blockers.push(server);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
}

/**
 * A free port below Linux's ephemeral range (32768 and up) whose next port is free too. Ports from
 * port 0 are ephemeral, and serve moves to the next one up, which any outgoing connection on this
 * busy machine could take between serve's check and the server's listen.
 */
async function freeFixedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if ((await canListen(port)) && (await canListen(port + 1))) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The URL printed on a line of the summary, e.g. `  Web app  http://localhost:3000/`. */
function printedUrl(label: string): string {
  const match = output.match(new RegExp(`^  ${label} +(http://localhost:\\d+)/`, "m"));
  if (!match?.[1]) throw new Error(`no "${label}" line in the output:\n${output}`);
  return match[1];
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  dataDir = await mkdtemp(join(tmpdir(), "quickstart-serve-"));
  wanted = {
    api: await freeFixedPort(),
    web: await freeFixedPort(),
    issuer: await freeFixedPort(),
    metrics: await freeFixedPort(),
  };
  await block(wanted.api);
  await block(wanted.web);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(wanted.api),
    WEB_PORT: String(wanted.web),
    ISSUER_PORT: String(wanted.issuer),
    METRICS_PORT: String(wanted.metrics),
    ISSUER_DATA_DIR: dataDir,
  };
  // Variables a developer's shell or .env could set that would change what is tested here.
  // (Playwright sets FORCE_COLOR, which would colour pino-pretty's lines.)
  for (const name of [
    "API_URL",
    "WEB_ORIGIN",
    "API_ORIGIN",
    "AUTH_ISSUER",
    "AUTHOK_DOMAIN",
    "LOG_FORMAT",
    "CORS_ORIGINS",
    "FORCE_COLOR",
  ])
    delete env[name];
  // Its own process group, so the test can send Ctrl-C's SIGINT to all of it, as a terminal does.
  serve = spawn(pnpm[0] as string, [...pnpm.slice(1), "serve"], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  serve.stdout?.on("data", (chunk) => (output += chunk));
  serve.stderr?.on("data", (chunk) => (output += chunk));
  exited = new Promise((resolve) => serve.once("exit", (code, signal) => resolve(code ?? signal ?? "?")));
  await expect.poll(() => output, { timeout: 90_000 }).toContain("Press Ctrl-C to stop.");
  urls = {
    web: printedUrl("Web app"),
    api: printedUrl("API     "),
    issuer: printedUrl("Issuer  "),
    metrics: printedUrl("Metrics "),
  };
});

test.afterAll(async () => {
  if (serve.exitCode === null && serve.signalCode === null && serve.pid) {
    process.kill(-serve.pid, "SIGKILL");
    await exited;
  }
  await Promise.all(blockers.map((server) => new Promise((resolve) => server.close(resolve))));
  await rm(dataDir, { recursive: true, force: true });
});

test("a taken port moves to the next free one, and the summary says so", () => {
  expect(output).toContain(`Port ${wanted.api} (API) is in use: using `);
  expect(output).toContain(`Port ${wanted.web} (web app) is in use: using `);
  expect(urls.api).not.toBe(`http://localhost:${wanted.api}`);
  expect(urls.web).not.toBe(`http://localhost:${wanted.web}`);
  expect(urls.issuer).toBe(`http://localhost:${wanted.issuer}`);
  // Commands typed in another terminal are told where the API and the issuer are.
  expect(output).toContain(`ISSUER_PORT=${wanted.issuer} PORT=${new URL(urls.api).port} pnpm call`);
  // No raw JSON logs and no oidc-provider warning between the start and the summary.
  expect(output).not.toMatch(/^\[api\] \{/m);
  expect(output).not.toContain("oidc-provider WARNING");
});

test("the web app reads the chosen API and issuer from /config.json; alice's calls all succeed", async ({
  page,
}) => {
  const response = await page.goto(`${urls.web}/`);
  expect(response?.headers()["content-security-policy"]).toContain(
    `connect-src 'self' ${urls.api} ${urls.issuer}`,
  );
  await expect(page.getByText(`Issuer ${urls.issuer}/`)).toBeVisible();
  await logInAsAlice(page);
  await runAllCalls(page);
  for (const id of ALL_CALLS) await expectResult(page, id, "200 OK");
  await expectResult(page, "rest-private-scoped", MESSAGES.privateScoped);
});

test("the printed metrics URL counts alice's calls, and the API's own port does not serve it", async () => {
  expect(urls.metrics).toBe(`http://localhost:${wanted.metrics}`);
  const exposition = await (await fetch(`${urls.metrics}/metrics`)).text();
  const allowed = (transport: string) =>
    Number(
      exposition.match(
        new RegExp(
          `^auth_decisions_total\\{transport="${transport}",result="allowed",code=""\\} (\\d+)$`,
          "m",
        ),
      )?.[1],
    );
  // The SPA's three tRPC calls and three REST calls, each protected one allowed.
  expect(allowed("trpc")).toBeGreaterThanOrEqual(2);
  expect(allowed("rest")).toBeGreaterThanOrEqual(2);
  expect((await fetch(`${urls.api}/metrics`)).status).toBe(404);
});

test("`pnpm call` reaches the moved API with the variables the summary printed", () => {
  const printed = output.match(/^ {2}((?:\w+=\d+ )+)pnpm call$/m)?.[1] ?? "";
  const variables = Object.fromEntries(
    printed
      .trim()
      .split(" ")
      .map((pair) => pair.split("=")),
  );
  expect(variables).toEqual({ ISSUER_PORT: String(wanted.issuer), PORT: new URL(urls.api).port });
  const env = { ...process.env, ...variables, ISSUER_DATA_DIR: dataDir };
  delete env.API_URL;
  const call = spawnSync(pnpm[0] as string, [...pnpm.slice(1), "--silent", "call"], {
    cwd: REPO_ROOT,
    env,
    encoding: "utf8",
  });
  expect(call.stdout).toContain(`privateScoped: 200 {"message":"${MESSAGES.privateScoped}"}`);
  expect(call.stdout).toContain("private (no token): 401 authorization_header_missing");
});

test("the issuer lets the moved API's docs page, and not the web app, get the machine client's token", async () => {
  const client = await readMachineClient(dataDir);
  const tokenFrom = (origin: string) =>
    fetch(`${urls.issuer}/oauth/token`, {
      method: "POST",
      headers: { origin },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: client?.clientId ?? "",
        client_secret: client?.clientSecret ?? "",
      }),
    });
  const fromDocs = await tokenFrom(urls.api);
  expect(fromDocs.status).toBe(200);
  expect(fromDocs.headers.get("access-control-allow-origin")).toBe(urls.api);
  const fromWeb = await tokenFrom(urls.web);
  expect(fromWeb.status).toBe(400);
  expect(fromWeb.headers.get("access-control-allow-origin")).toBeNull();
});

test("each API request is one readable line, refusals with their code", async ({ request }) => {
  await request.get(`${urls.api}/api/private`);
  await expect
    .poll(() => output)
    .toMatch(
      /^\[api\] \[\d\d:\d\d:\d\d\] INFO: GET \/api\/private 401 \d+ ms authorization_header_missing$/m,
    );
  expect(output).toMatch(/^\[api\] \[\d\d:\d\d:\d\d\] INFO: GET \/trpc\/privateScoped 200 \d+ ms$/m);
});

test("Ctrl-C stops everything and exits 0, quietly", async () => {
  process.kill(-(serve.pid as number), "SIGINT");
  expect(await exited).toBe(0);
  expect(output).not.toMatch(/ELIFECYCLE|Command failed|ERR_PNPM/);
  for (const url of Object.values(urls)) await expect(fetch(url)).rejects.toThrow();
});

async function logInAsAlice(page: Page) {
  await page.getByRole("button", { name: "Log in", exact: true }).first().click();
  await page.waitForURL((url) => url.href.startsWith(urls.issuer));
  await submitLogin(page, "alice", "wonderland");
  await expect(page.getByTestId("user-name")).toHaveText("Alice Liddell");
  await expect(page).toHaveURL(`${urls.web}/`);
}

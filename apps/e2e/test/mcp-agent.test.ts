/**
 * An AI agent built on the official MCP SDK (Client, StreamableHTTPClientTransport and an
 * OAuthClientProvider) against the built API (`pnpm start:api`'s dist/server.js) and the embedded
 * issuer, starting from nothing but the /mcp URL: the 401, the metadata documents, dynamic
 * registration, authorization code + PKCE with `resource`, the issuer's real login form in Chromium,
 * the token, tools/list and the tools. alice gets every tool; bob gets 403 insufficient_scope on
 * privateScoped, and cannot step up, since the issuer never grants him read:messages.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { type Browser, expect, type Page, test } from "@playwright/test";
import { type RunningIssuer, startIssuer } from "@quickstart/issuer";
import { findFreePort } from "./free-port";
import { submitLogin } from "./spa-page";

const API_DIR = fileURLToPath(new URL("../../api/", import.meta.url));
const API_BUNDLE = join(API_DIR, "dist", "server.js");
const REST_PATHS = { public: "/api/public", private: "/api/private", privateScoped: "/api/private-scoped" };

test.describe.configure({ mode: "serial" });

let apiUrl: string;
let mcpUrl: string;
let issuer: RunningIssuer;
let api: ChildProcess;
let apiOutput = "";
let dataDir: string;

test.beforeAll(async () => {
  test.setTimeout(60_000);
  if (!existsSync(API_BUNDLE)) {
    throw new Error(`${API_BUNDLE} is missing: build the API first (pnpm --filter @quickstart/api build)`);
  }
  // The API's URL names the MCP resource, so it is chosen before the issuer starts.
  const apiPort = await findFreePort();
  apiUrl = `http://localhost:${apiPort}`;
  mcpUrl = `${apiUrl}/mcp`;
  dataDir = await mkdtemp(join(tmpdir(), "quickstart-mcp-"));
  issuer = await startIssuer({
    port: 0,
    host: "127.0.0.1",
    audience: ["https://quickstarts/api", mcpUrl],
    webOrigins: [],
    apiOrigins: [apiUrl],
    dataDir,
    logger: { info: () => {}, warn: console.warn, error: console.error },
  });
  api = spawn(process.execPath, [API_BUNDLE], {
    cwd: API_DIR,
    env: {
      PATH: process.env.PATH,
      AUTH_ISSUER: issuer.url,
      // Both of the API's identifiers, as `npm start` configures it.
      API_AUDIENCE: `https://quickstarts/api,${mcpUrl}`,
      HOST: "127.0.0.1",
      PORT: String(apiPort),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  api.stdout?.on("data", (chunk) => (apiOutput += chunk));
  api.stderr?.on("data", (chunk) => (apiOutput += chunk));
  await expect
    .poll(
      async () => {
        if (api.exitCode !== null) throw new Error(`the API exited (${api.exitCode}):\n${apiOutput}`);
        return fetch(`${apiUrl}/healthz`).then(
          (response) => response.status,
          () => 0,
        );
      },
      { timeout: 20_000 },
    )
    .toBe(200);
});

test.afterAll(async () => {
  if (api && api.exitCode === null) {
    const exited = once(api, "exit");
    api.kill("SIGTERM");
    await exited;
  }
  await issuer?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** One HTTP exchange the agent made, as recorded by its fetch. */
interface Exchange {
  method: string;
  url: string;
  status: number;
  wwwAuthenticate: string | null;
}

/**
 * A loopback web server where the authorization code comes back (RFC 8252 §7.3), as Claude Code or
 * MCP Inspector run one.
 */
async function startCallbackServer() {
  const codes = new EventEmitter<{ code: [string] }>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const code = url.searchParams.get("code");
    response
      .writeHead(code ? 200 : 400, { "content-type": "text/plain" })
      .end(code ? "Signed in." : "No code");
    if (code) codes.emit("code", code);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    redirectUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    codes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The agent's OAuthClientProvider: keeps its registration, tokens and PKCE verifier in memory, and
 * "opens the browser" by driving the issuer's login page in Chromium, signing in as `username`
 * when the issuer asks.
 */
class BrowserSignIn implements OAuthClientProvider {
  readonly authorizationUrls: URL[] = [];
  /** The codes the callback received, in order. */
  readonly codes: Promise<string>[] = [];
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = "";

  constructor(
    private readonly page: Page,
    private readonly callback: Awaited<ReturnType<typeof startCallbackServer>>,
    private readonly user: { username: string; password: string },
  ) {}

  get redirectUrl() {
    return this.callback.redirectUrl;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "e2e MCP agent",
      redirect_uris: [this.callback.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.#client;
  }
  saveClientInformation(client: OAuthClientInformationMixed) {
    this.#client = client;
  }
  tokens() {
    return this.#tokens;
  }
  saveTokens(tokens: OAuthTokens) {
    this.#tokens = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.#verifier = verifier;
  }
  codeVerifier() {
    return this.#verifier;
  }
  async redirectToAuthorization(url: URL) {
    this.authorizationUrls.push(url);
    const code = once(this.callback.codes, "code").then(([value]) => value as string);
    this.codes.push(code);
    await this.page.goto(url.href);
    // The issuer shows its login form, unless this browser is already signed in there.
    const form = this.page.getByLabel("Username");
    const asked = await Promise.race([form.waitFor().then(() => true), code.then(() => false)]);
    if (asked) await submitLogin(this.page, this.user.username, this.user.password);
    await code;
  }
}

/** An agent for one user: its own browser profile, callback server, provider and recorded fetch. */
async function startAgent(browser: Browser, username: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const callback = await startCallbackServer();
  const auth = new BrowserSignIn(page, callback, { username, password });
  const exchanges: Exchange[] = [];
  // Every request the SDK makes (MCP, discovery, registration, token) goes through the real fetch.
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    exchanges.push({
      method: init?.method ?? (input instanceof Request ? input.method : "GET"),
      url,
      status: response.status,
      wwwAuthenticate: response.headers.get("www-authenticate"),
    });
    return response;
  };
  const newTransport = () =>
    new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: auth, fetch: recordingFetch });

  /** Connects as an MCP client would: the first attempt signs in, the second uses the token. */
  async function connect() {
    const first = newTransport();
    await expect(new Client({ name: "e2e-agent", version: "1.0.0" }).connect(first)).rejects.toThrow(
      UnauthorizedError,
    );
    await first.finishAuth(await (auth.codes.at(-1) as Promise<string>));
    const transport = newTransport();
    const client = new Client({ name: "e2e-agent", version: "1.0.0" });
    await client.connect(transport);
    return { client, transport };
  }

  return {
    auth,
    exchanges,
    connect,
    accessToken: () => auth.tokens()?.access_token as string,
    async close() {
      await context.close();
      await callback.close();
    },
  };
}

/** The claims of a JWT, unverified: the API verifies it; the test only reads what it says. */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
}

/** What the REST mirror answers with the same token. */
async function restAnswer(path: string, token: string) {
  const response = await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return response.json();
}

/** The exchanges as `METHOD path status`, for the flow's shape. */
const steps = (exchanges: Exchange[]) =>
  exchanges.map(({ method, url, status }) => `${method} ${new URL(url).pathname} ${status}`);

test("alice's agent: 401, metadata, registration, login, token, tools/list and every tool", async ({
  browser,
}) => {
  const agent = await startAgent(browser, "alice", "wonderland");
  try {
    const { client } = await agent.connect();

    const metadataUrl = `${apiUrl}/.well-known/oauth-protected-resource/mcp`;
    expect(agent.exchanges[0]).toMatchObject({ method: "POST", url: mcpUrl, status: 401 });
    expect(agent.exchanges[0]?.wwwAuthenticate).toContain(`resource_metadata="${metadataUrl}"`);
    const flow = steps(agent.exchanges);
    expect(flow).toEqual(
      expect.arrayContaining([
        "GET /.well-known/oauth-protected-resource/mcp 200",
        "POST /oidc/register 201",
        "POST /oauth/token 200",
        "POST /mcp 200",
      ]),
    );
    // Discovery, then registration, then the token, then the MCP request that now succeeds.
    const order = ["/.well-known/oauth-protected-resource/mcp", "/oidc/register", "/oauth/token"].map(
      (path) => flow.findIndex((step) => step.includes(` ${path} `)),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));

    const [authorizationUrl] = agent.auth.authorizationUrls;
    expect(agent.auth.authorizationUrls).toHaveLength(1);
    expect(authorizationUrl?.searchParams.get("resource")).toBe(mcpUrl);
    expect(authorizationUrl?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizationUrl?.searchParams.get("scope")?.split(" ")).toContain("read:messages");
    expect(authorizationUrl?.searchParams.get("client_id")).toBe(agent.auth.clientInformation()?.client_id);

    const claims = claimsOf(agent.accessToken());
    expect(claims.aud).toBe(mcpUrl);
    expect(String(claims.scope).split(" ")).toContain("read:messages");

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["public", "private", "privateScoped"]);
    expect(tools.find((tool) => tool.name === "privateScoped")?.description).toContain("read:messages");

    for (const [name, path] of Object.entries(REST_PATHS)) {
      const result = await client.callTool({ name });
      expect(result.isError, name).toBeFalsy();
      expect(result.structuredContent, name).toEqual(await restAnswer(path, agent.accessToken()));
    }
    await client.close();
  } finally {
    await agent.close();
  }
});

test("bob's agent: privateScoped gets 403 insufficient_scope, the other tools succeed", async ({
  browser,
}) => {
  const agent = await startAgent(browser, "bob", "builder");
  try {
    const { client } = await agent.connect();
    expect(String(claimsOf(agent.accessToken()).scope ?? "").split(" ")).not.toContain("read:messages");

    for (const name of ["public", "private"] as const) {
      const result = await client.callTool({ name });
      expect(result.structuredContent, name).toEqual(await restAnswer(REST_PATHS[name], agent.accessToken()));
    }

    // The SDK sees the 403 and steps up: it renews its token asking for the scope the challenge
    // names, and retries; the issuer never grants bob read:messages, so the retry gets the same 403,
    // which the SDK then surfaces.
    const refusal = await client.callTool({ name: "privateScoped" }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(StreamableHTTPError);
    expect((refusal as StreamableHTTPError).code).toBe(403);
    const refused = agent.exchanges.filter((exchange) => exchange.status === 403);
    expect(refused).toHaveLength(2);
    for (const exchange of refused) {
      expect(exchange).toMatchObject({ method: "POST", url: mcpUrl });
      expect(exchange.wwwAuthenticate).toMatch(/^Bearer error="insufficient_scope", /);
      expect(exchange.wwwAuthenticate).toContain('scope="read:messages"');
      expect(exchange.wwwAuthenticate).toContain(
        `resource_metadata="${apiUrl}/.well-known/oauth-protected-resource/mcp"`,
      );
    }
    const between = steps(agent.exchanges.slice(agent.exchanges.indexOf(refused[0] as Exchange)));
    expect(between).toContain("POST /oauth/token 200");
    expect(String(claimsOf(agent.accessToken()).scope ?? "").split(" ")).not.toContain("read:messages");

    // The 403 left the session usable.
    expect((await client.callTool({ name: "public" })).isError).toBeFalsy();
    await client.close();
  } finally {
    await agent.close();
  }
});

/**
 * The MCP endpoint at the HTTP level, with real signed tokens: its challenges and metadata, the
 * tools listed and called through the same procedures as REST, and every refusal (audience, expiry,
 * scope, Origin, malformed JSON, batch, oversized body, DPoP) as its exact HTTP answer.
 */
import { createAccessTokenVerifier } from "@quickstart/auth";
import { createDpopKey, startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import { TRPCError } from "@trpc/server";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type AppOptions, buildApp } from "../src/app";
import { listProcedures } from "../src/procedures";
import { appProcedures } from "../src/root";
import { endpoint, protectedProcedure, scopedProcedure } from "../src/trpc";

const PUBLIC_URL = "https://api.example.test";
const MCP_URL = `${PUBLIC_URL}/mcp`;
const MCP_METADATA = `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp"`;
const ALGS = 'algs="ES256 EdDSA Ed25519 PS256 RS256"';

/**
 * The app's procedures, plus one with input and one that fails, as a user might add them (under
 * their own key, so that they never collide with the user's own).
 */
const mcpTest = {
  greet: endpoint(scopedProcedure("read:messages"), {
    summary: "Greets someone",
    mcp: { description: "Greets someone by name." },
    input: z.object({ name: z.string().min(1), times: z.number().int().optional() }),
    output: z.object({ message: z.string() }),
  }).mutation(({ input }) => ({ message: `Hello ${input.name}` })),
  broken: endpoint(protectedProcedure, {
    mcp: { description: "Always fails." },
    output: z.object({ message: z.string() }),
  }).query((): { message: string } => {
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "secret detail from the database" });
  }),
};
const procedures = { ...appProcedures, mcpTest };

let issuer: TestIssuer;
let app: FastifyInstance;
let logs: string[];

beforeAll(async () => {
  issuer = await startTestIssuer();
  logs = [];
  app = await buildTestApp({
    procedures,
    logger: { level: "info", stream: { write: (line: string) => logs.push(line) } },
  });
});
afterAll(async () => {
  await app?.close();
  await issuer?.close();
});

/** The API at PUBLIC_URL accepting the test issuer's tokens. */
const buildTestApp = (options: Omit<AppOptions, "verifier" | "publicUrl"> = {}) =>
  buildApp({ verifier: createAccessTokenVerifier(issuer.verifierConfig), publicUrl: PUBLIC_URL, ...options });

const now = () => Math.floor(Date.now() / 1000);
let nextId = 1;

/** A JSON-RPC request as the SDK's client sends it. */
const rpc = (method: string, params?: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  id: nextId++,
  method,
  ...(params ? { params } : {}),
});

const initialize = () =>
  rpc("initialize", {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "mcp-test", version: "1.0.0" },
  });

/** POSTs to /mcp with the headers the Streamable HTTP transport requires. */
function post(body: unknown, headers: Record<string, string> = {}, target = app) {
  return target.inject({
    method: "POST",
    url: "/mcp",
    headers: {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-protocol-version": "2025-11-25",
      ...headers,
    },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const bearer = async (claims: Record<string, unknown> = {}) => ({
  authorization: `Bearer ${await issuer.sign(claims)}`,
});

async function callTool(name: string, args: unknown, headers: Record<string, string>) {
  return post(rpc("tools/call", { name, ...(args === undefined ? {} : { arguments: args }) }), headers);
}

describe("without a valid access token", () => {
  it.each([
    ["POST", "initialize"],
    ["POST", "tools/list"],
    ["GET", ""],
    ["DELETE", ""],
  ])("%s %s gets 401 with a challenge naming /mcp's metadata", async (method, rpcMethod) => {
    const response =
      method === "POST"
        ? await post(rpcMethod === "initialize" ? initialize() : rpc(rpcMethod))
        : await app.inject({ method: method as "GET" | "DELETE", url: "/mcp" });
    expect(response.statusCode).toBe(401);
    expect(response.headers["www-authenticate"]).toEqual([
      `Bearer ${MCP_METADATA}`,
      `DPoP ${ALGS}, ${MCP_METADATA}`,
    ]);
    expect(response.json()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: {
        code: -32000,
        message: "Authorization header is expected",
        data: { code: "authorization_header_missing", description: "Authorization header is expected" },
      },
    });
  });

  it.each([
    ["another audience", { aud: "https://other.example/api" }, "invalid_claims"],
    ["an expired token", { exp: now() - 120, iat: now() - 3720 }, "token_expired"],
  ])("%s gets 401 invalid_token", async (_name, claims, code) => {
    const response = await post(initialize(), await bearer(claims));
    expect(response.statusCode).toBe(401);
    expect(response.headers["www-authenticate"]?.[0]).toMatch(
      new RegExp(`^Bearer error="invalid_token", error_description="[^"]+", ${MCP_METADATA}$`),
    );
    expect(response.json().error.data.code).toBe(code);
  });

  it("a malformed body without a token gets the 401, not a parse error", async () => {
    const response = await post("{not json");
    expect(response.statusCode).toBe(401);
  });
});

describe("protected-resource metadata", () => {
  it.each([
    ["/.well-known/oauth-protected-resource", PUBLIC_URL],
    ["/.well-known/oauth-protected-resource/mcp", MCP_URL],
  ])("%s names the resource %s", async (path, resource) => {
    const response = await app.inject({ method: "GET", url: path });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      resource,
      authorization_servers: [issuer.issuer],
      scopes_supported: ["read:messages"],
      bearer_methods_supported: ["header"],
      resource_documentation: `${PUBLIC_URL}/docs`,
      dpop_signing_alg_values_supported: ["ES256", "EdDSA", "Ed25519", "PS256", "RS256"],
    });
  });

  it("any page may read them, even where CORS_ORIGINS lists origins (a browser-based MCP client)", async () => {
    const listed = await buildTestApp({ corsOrigins: ["https://app.example"] });
    try {
      const headers = { origin: "http://localhost:6274" };
      const metadata = await listed.inject({
        method: "GET",
        url: "/.well-known/oauth-protected-resource/mcp",
        headers,
      });
      expect(metadata.headers["access-control-allow-origin"]).toBe("*");
      const api = await listed.inject({ method: "GET", url: "/api/public", headers });
      expect(api.headers["access-control-allow-origin"]).toBeUndefined();
    } finally {
      await listed.close();
    }
  });
});

describe("with a valid access token", () => {
  it("initialize answers with the tools capability and no session id (stateless)", async () => {
    const response = await post(initialize(), await bearer());
    expect(response.statusCode).toBe(200);
    expect(response.headers["mcp-session-id"]).toBeUndefined();
    const { result } = response.json();
    expect(result.protocolVersion).toBe("2025-11-25");
    expect(result.capabilities).toEqual({ tools: {} });
    expect(result.serverInfo.name).toBe("quickstart-api");
  });

  it("GET and DELETE get 405: there is no session to stream or end", async () => {
    for (const method of ["GET", "DELETE"] as const) {
      const response = await app.inject({ method, url: "/mcp", headers: await bearer() });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe("POST");
      expect(response.json().error.code).toBe(-32000);
    }
  });

  it("tools/list lists every opted-in procedure, its schemas from zod and its scopes in its description", async () => {
    const response = await post(rpc("tools/list"), await bearer({ scope: "openid" }));
    expect(response.statusCode).toBe(200);
    const tools = response.json().result.tools as Record<string, unknown>[];
    // The app's own (the quickstart's three, and any you added), then the test's.
    const appTools = listProcedures(appProcedures).flatMap(({ path, meta }) => (meta.mcp ? [path] : []));
    expect(appTools).toEqual(expect.arrayContaining(["public", "private", "privateScoped"]));
    expect(tools.map((tool) => tool.name)).toEqual([...appTools, "mcpTest.greet", "mcpTest.broken"]);
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    const message = {
      type: "object",
      properties: { message: { type: "string" } },
      required: ["message"],
      additionalProperties: false,
    };
    expect(byName.privateScoped).toEqual({
      name: "privateScoped",
      title: "A message for access tokens granting read:messages",
      description:
        "Reads the private message reserved for users granted read:messages. Needs the scope read:messages.",
      inputSchema: { type: "object" },
      outputSchema: message,
    });
    expect(byName.public?.description).toMatch(/Needs no scope\.$/);
    expect(byName.private?.description).toMatch(/Needs a valid access token and no scope\.$/);
    expect(byName["mcpTest.greet"]?.inputSchema).toEqual({
      type: "object",
      properties: {
        name: { type: "string", minLength: 1 },
        times: { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
      },
      required: ["name"],
    });
  });

  it.each([
    ["public", "/api/public"],
    ["private", "/api/private"],
    ["privateScoped", "/api/private-scoped"],
  ])("tools/call %s: structured content and text equal to GET %s", async (name, restPath) => {
    const headers = await bearer();
    const rest = await app.inject({ method: "GET", url: restPath, headers });
    expect(rest.statusCode).toBe(200);
    const response = await callTool(name, undefined, headers);
    expect(response.statusCode).toBe(200);
    const { result } = response.json();
    expect(result.structuredContent).toEqual(rest.json());
    expect(result.content).toEqual([{ type: "text", text: rest.body }]);
    expect(result.isError).toBeUndefined();
  });

  it("a tool's input goes through the procedure's schema", async () => {
    const response = await callTool("mcpTest.greet", { name: "Ada" }, await bearer());
    expect(response.json().result.structuredContent).toEqual({ message: "Hello Ada" });
  });

  it.each([
    ["a wrong type", { name: 42 }, /^Invalid input: name: .*expected string/],
    ["a missing field", {}, /^Invalid input: name: /],
    ["no arguments at all", undefined, /^Invalid input: name: /],
    ["a rule broken", { name: "" }, /^Invalid input: name: .*>=1 characters/],
    ["a nested field", { name: "Ada", times: 1.5 }, /^Invalid input: times: /],
  ])("%s is a tool error naming the field", async (_name, args, text) => {
    const response = await callTool("mcpTest.greet", args, await bearer());
    expect(response.statusCode).toBe(200);
    const { result } = response.json();
    expect(result.isError).toBe(true);
    expect(result.content[0].text).toMatch(text);
  });

  it("a failing tool is a tool error without the internal detail, logged", async () => {
    const response = await callTool("mcpTest.broken", undefined, await bearer());
    expect(response.statusCode).toBe(200);
    expect(response.json().result).toEqual({
      isError: true,
      content: [{ type: "text", text: "Internal server error" }],
    });
    expect(response.body).not.toContain("secret detail");
    expect(logs.some((line) => line.includes("MCP tool failed"))).toBe(true);
  });

  it("an unknown tool is a JSON-RPC invalid-params error", async () => {
    const response = await callTool("nope", undefined, await bearer());
    expect(response.statusCode).toBe(200);
    expect(response.json().error).toMatchObject({ code: -32602, message: expect.stringContaining("nope") });
  });
});

describe("a token without the tool's scopes", () => {
  it("tools/call gets HTTP 403 insufficient_scope naming the scope and /mcp's metadata", async () => {
    const body = rpc("tools/call", { name: "privateScoped" });
    const response = await post(body, await bearer({ scope: "openid" }));
    expect(response.statusCode).toBe(403);
    expect(response.headers["www-authenticate"]).toEqual([
      `Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="read:messages", ${MCP_METADATA}`,
      `DPoP ${ALGS}, ${MCP_METADATA}`,
    ]);
    expect(response.json()).toMatchObject({
      jsonrpc: "2.0",
      id: body.id,
      error: { code: -32000, data: { code: "Unauthorized" } },
    });
  });

  it("the same refusal for a tool with input, before its input is checked", async () => {
    const response = await callTool("mcpTest.greet", { name: 42 }, await bearer({ scope: "openid" }));
    expect(response.statusCode).toBe(403);
  });

  it("the tools needing no scope still answer", async () => {
    const headers = await bearer({ scope: "openid" });
    for (const name of ["public", "private"]) {
      const response = await callTool(name, undefined, headers);
      expect(response.statusCode).toBe(200);
      expect(response.json().result.structuredContent.message).toEqual(expect.any(String));
    }
  });
});

describe("what the transport refuses", () => {
  it("a forbidden Origin gets 403 with a JSON-RPC error, before the token is looked at", async () => {
    const response = await post(initialize(), { origin: "http://evil.example" });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32000, message: "Forbidden: Origin not allowed" },
    });
  });

  it.each(["http://localhost:6274", "http://127.0.0.1:5173", PUBLIC_URL])(
    "Origin %s is allowed (loopback or the API's own, CORS_ORIGINS being *)",
    async (origin) => {
      const response = await post(initialize(), { ...(await bearer()), origin });
      expect(response.statusCode).toBe(200);
    },
  );

  it("with CORS_ORIGINS listing origins, only those (and the API's own) may use /mcp", async () => {
    const listed = await buildTestApp({ corsOrigins: ["https://agent.example"] });
    try {
      const status = async (origin: string) =>
        (await post(initialize(), { ...(await bearer()), origin }, listed)).statusCode;
      expect(await status("https://agent.example")).toBe(200);
      expect(await status(PUBLIC_URL)).toBe(200);
      expect(await status("http://localhost:6274")).toBe(403);
    } finally {
      await listed.close();
    }
  });

  it.each([
    ["malformed JSON", "{not json", 400, -32700],
    ["an empty body", "", 400, -32700],
    ["a JSON-RPC batch", JSON.stringify([rpc("tools/list"), rpc("tools/list")]), 400, -32600],
    ["JSON that is not JSON-RPC", JSON.stringify({ hello: "world" }), 400, -32700],
  ])("%s gets a JSON-RPC error, and the server goes on", async (_name, body, status, code) => {
    const headers = await bearer();
    const response = await post(body, headers);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code } });
    expect((await post(rpc("tools/list"), headers)).statusCode).toBe(200);
  });

  it("an oversized body gets 413 with a JSON-RPC error", async () => {
    const huge = JSON.stringify({ ...rpc("tools/list"), padding: "x".repeat(1024 * 1024) });
    const response = await post(huge, await bearer());
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32000, message: "Request body is too large" },
    });
  });

  it.each(["text/plain", "application/xml"])("a %s body gets 415 with a JSON-RPC error", async (type) => {
    const response = await post(JSON.stringify(rpc("tools/list")), {
      ...(await bearer()),
      "content-type": type,
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32000 } });
  });

  it.each([
    ["no Accept header", { accept: "" }, 406],
    ["an Accept without text/event-stream", { accept: "application/json" }, 406],
    ["an unknown protocol version", { "mcp-protocol-version": "1999-01-01" }, 400],
  ])("%s gets the SDK transport's JSON-RPC error", async (_name, headers, status) => {
    const response = await post(rpc("tools/list"), { ...(await bearer()), ...headers });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });
  });

  it("a POST without a body gets 415 with a JSON-RPC error", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/mcp",
      headers: { ...(await bearer()), accept: "application/json, text/event-stream" },
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32000 } });
  });

  it("the token is never handed to the MCP SDK nor echoed back", async () => {
    const headers = await bearer();
    const response = await callTool("private", undefined, headers);
    expect(response.body).not.toContain(headers.authorization.slice(7));
  });
});

describe("DPoP on /mcp", () => {
  it("a DPoP-bound token works with a proof for the /mcp URL, and not with one for another URL", async () => {
    const key = await createDpopKey("ES256");
    const token = await issuer.sign({ cnf: { jkt: key.thumbprint } });
    const proof = (htu: string) => key.proof({ htm: "POST", htu, accessToken: token });

    const ok = await callTool("privateScoped", undefined, {
      authorization: `DPoP ${token}`,
      dpop: await proof(MCP_URL),
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().result.structuredContent).toEqual({ message: expect.any(String) });

    const wrongUrl = await callTool("privateScoped", undefined, {
      authorization: `DPoP ${token}`,
      dpop: await proof(`${PUBLIC_URL}/api/private-scoped`),
    });
    expect(wrongUrl.statusCode).toBe(401);
    expect(wrongUrl.json().error.data.code).toBe("invalid_dpop_proof");
    expect(wrongUrl.headers["www-authenticate"]?.[0]).toMatch(
      /^DPoP error="invalid_dpop_proof".*resource_metadata=.*\/mcp"$/,
    );

    const asBearer = await callTool("privateScoped", undefined, { authorization: `Bearer ${token}` });
    expect(asBearer.statusCode).toBe(401);
  });

  it("the proof is spent once per request, by the HTTP gate and the procedure together", async () => {
    const key = await createDpopKey("ES256");
    const token = await issuer.sign({ cnf: { jkt: key.thumbprint } });
    const headers = {
      authorization: `DPoP ${token}`,
      dpop: await key.proof({ htm: "POST", htu: MCP_URL, accessToken: token }),
    };
    expect((await callTool("private", undefined, headers)).statusCode).toBe(200);
    const replayed = await callTool("private", undefined, headers);
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json().error.data.description).toBe("The DPoP proof has already been used");
  });
});

describe("the audience rule: one API with two identifiers, the same on every face", () => {
  it("a token for either identifier works on /mcp, REST and tRPC; any other gets 401 on all three", async () => {
    const both = await buildApp({
      verifier: createAccessTokenVerifier({ issuer: issuer.issuer, audience: [issuer.audience, MCP_URL] }),
      publicUrl: PUBLIC_URL,
    });
    try {
      const statuses = async (aud: string) => {
        const headers = await bearer({ aud });
        const mcp = await post(rpc("tools/call", { name: "privateScoped" }), headers, both);
        const rest = await both.inject({ method: "GET", url: "/api/private-scoped", headers });
        const trpc = await both.inject({ method: "GET", url: "/trpc/privateScoped", headers });
        return [mcp.statusCode, rest.statusCode, trpc.statusCode];
      };
      expect(await statuses(MCP_URL)).toEqual([200, 200, 200]);
      expect(await statuses(issuer.audience)).toEqual([200, 200, 200]);
      expect(await statuses("https://other.example/api")).toEqual([401, 401, 401]);
    } finally {
      await both.close();
    }
  });
});

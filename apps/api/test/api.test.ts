/**
 * The quickstart's contract, end to end over HTTP: a real issuer (discovery + JWKS) on 127.0.0.1,
 * the real API listening on a port, REST through fetch and tRPC through the real @trpc/client.
 * Every row runs on all the protected endpoints, REST and tRPC.
 */
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { FastifyInstance } from "fastify";
import { base64url } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/messages";
import type { AppRouter } from "../src/root";
import { buildAppFor } from "./build-app-for";

let issuer: TestIssuer;
let app: FastifyInstance;
let baseUrl: string;
/** Every challenge's `resource_metadata` (RFC 9728 §5.1): the default public URL, from the port listened on. */
let resourceMetadata: string;
/** DPoP is `allowed` by default, so every challenge offers it next to Bearer (RFC 9449 §7.1). */
let dpopChallenge: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  app = await buildAppFor(issuer);
  baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  resourceMetadata = `resource_metadata="http://localhost:${new URL(baseUrl).port}/.well-known/oauth-protected-resource"`;
  dpopChallenge = `DPoP algs="ES256 EdDSA Ed25519 PS256 RS256", ${resourceMetadata}`;
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

type Procedure = "public" | "private" | "privateScoped";
const REST_PATH: Record<Procedure, string> = {
  public: "/api/public",
  private: "/api/private",
  privateScoped: "/api/private-scoped",
};

interface Outcome {
  status: number;
  body: unknown;
  wwwAuthenticate: string | null;
}

async function callRest(procedure: Procedure, authorization?: string): Promise<Outcome> {
  const response = await fetch(`${baseUrl}${REST_PATH[procedure]}`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  return {
    status: response.status,
    body: await response.json(),
    wwwAuthenticate: response.headers.get("www-authenticate"),
  };
}

async function callTrpc(procedure: Procedure, authorization?: string): Promise<Outcome> {
  let wwwAuthenticate: string | null = null;
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/trpc`,
        headers: authorization === undefined ? {} : { authorization },
        fetch: async (url, init) => {
          const response = await fetch(url, init);
          wwwAuthenticate = response.headers.get("www-authenticate");
          return response;
        },
      }),
    ],
  });
  try {
    return { status: 200, body: await client[procedure].query(), wwwAuthenticate };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = (error as TRPCClientError<AppRouter>).data;
    return { status: data?.httpStatus ?? 0, body: data?.auth, wwwAuthenticate };
  }
}

const now = () => Math.floor(Date.now() / 1000);
const PROTECTED: Procedure[] = ["private", "privateScoped"];

// [name, Authorization header (or a function making it), code, description]
const REFUSED: [string, () => Promise<string | undefined>, string, string][] = [
  ["no header", async () => undefined, "authorization_header_missing", "Authorization header is expected"],
  ["an empty header", async () => "", "authorization_header_missing", "Authorization header is expected"],
  [
    "Basic credentials",
    async () => "Basic dXNlcjpwYXNz",
    "invalid_header",
    "Authorization header must start with Bearer",
  ],
  ["Bearer alone", async () => "Bearer", "invalid_header", "Token not found"],
  [
    "three parts",
    async () => `Bearer ${await issuer.sign()} extra`,
    "invalid_header",
    "Authorization header must be Bearer token",
  ],
  [
    "an expired token",
    async () => `Bearer ${await issuer.sign({ exp: now() - 60 })}`,
    "token_expired",
    "token is expired",
  ],
  [
    "a wrong audience",
    async () => `Bearer ${await issuer.sign({ aud: "https://other/api" })}`,
    "invalid_claims",
    "incorrect claims,please check the audience and issuer",
  ],
  [
    "a wrong issuer",
    async () => `Bearer ${await issuer.sign({ iss: "https://evil.example/" })}`,
    "invalid_claims",
    "incorrect claims,please check the audience and issuer",
  ],
  [
    "a token without kid",
    async () => `Bearer ${await issuer.sign({}, { kid: null })}`,
    "invalid_header",
    "Unable to find appropriate key",
  ],
  [
    "an unknown kid",
    async () => `Bearer ${await issuer.sign({}, { kid: "unknown" })}`,
    "invalid_header",
    "Unable to find appropriate key",
  ],
  ["garbage", async () => "Bearer not-a-jwt", "invalid_header", "Unable to parse authentication token."],
  [
    "an undecodable header",
    async () => "Bearer %%%.e30.sig",
    "invalid_header",
    "Unable to parse authentication token.",
  ],
  [
    "alg none",
    async () => {
      const header = base64url.encode(JSON.stringify({ alg: "none", kid: issuer.currentKey.kid }));
      const payload = base64url.encode(
        JSON.stringify({ iss: issuer.issuer, aud: issuer.audience, exp: now() + 60 }),
      );
      return `Bearer ${header}.${payload}.`;
    },
    "invalid_header",
    "Unable to parse authentication token.",
  ],
];

describe.each([
  ["REST", callRest],
  ["tRPC", callTrpc],
])("%s", (_transport, call) => {
  it("serves public with no header and with a bad one", async () => {
    for (const header of [undefined, "Bearer garbage", "Basic x", ""]) {
      const outcome = await call("public", header);
      expect(outcome.status).toBe(200);
      expect(outcome.body).toEqual({ message: MESSAGES.public });
    }
  });

  it("serves private and privateScoped with a valid token that has read:messages", async () => {
    const authorization = `Bearer ${await issuer.sign()}`;
    expect(await call("private", authorization)).toMatchObject({
      status: 200,
      body: { message: MESSAGES.private },
    });
    expect(await call("privateScoped", authorization)).toMatchObject({
      status: 200,
      body: { message: MESSAGES.privateScoped },
    });
  });

  it("grants read:messages from an Auth0-style permissions array", async () => {
    const authorization = `Bearer ${await issuer.sign({ scope: undefined, permissions: ["read:messages"] })}`;
    expect((await call("privateScoped", authorization)).status).toBe(200);
  });

  it.each(["openid", "read:messagesX", "", "Read:messages"])(
    "refuses privateScoped with 403 when the scope is %j",
    async (scope) => {
      const authorization = `Bearer ${await issuer.sign({ scope })}`;
      expect((await call("private", authorization)).status).toBe(200);
      const outcome = await call("privateScoped", authorization);
      expect(outcome.status).toBe(403);
      expect(outcome.body).toEqual({ code: "Unauthorized", description: "您没有权限访问当前资源" });
      expect(outcome.wwwAuthenticate).toMatch(
        /^Bearer error="insufficient_scope", .*scope="read:messages", /,
      );
      expect(outcome.wwwAuthenticate?.endsWith(`, ${resourceMetadata}`)).toBe(true);
    },
  );

  it.each(REFUSED)("refuses %s with 401", async (_name, makeHeader, code, description) => {
    const header = await makeHeader();
    for (const procedure of PROTECTED) {
      const outcome = await call(procedure, header);
      expect(outcome.status).toBe(401);
      expect(outcome.body).toEqual({ code, description });
      expect(outcome.wwwAuthenticate).toBe(
        code === "authorization_header_missing"
          ? `Bearer ${resourceMetadata}, ${dpopChallenge}`
          : `Bearer error="invalid_token", error_description="${description}", ${resourceMetadata}, ${dpopChallenge}`,
      );
    }
  });
});

describe("the API", () => {
  it("answers a CORS preflight for the Authorization header from any origin", async () => {
    const response = await fetch(`${baseUrl}/api/private`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
  });

  it("restricts CORS to CORS_ORIGINS when given", async () => {
    const restricted = await buildAppFor(issuer, { corsOrigins: ["https://app.example"] });
    const preflight = (origin: string) =>
      restricted.inject({
        method: "OPTIONS",
        url: "/api/public",
        headers: { origin, "access-control-request-method": "GET" },
      });
    expect((await preflight("https://app.example")).headers["access-control-allow-origin"]).toBe(
      "https://app.example",
    );
    expect((await preflight("https://evil.example")).headers["access-control-allow-origin"]).toBeUndefined();
    await restricted.close();
  });

  it("fetches the key set once for many requests, and picks up a rotated key", async () => {
    const local = await startTestIssuer();
    const localApp = await buildAppFor(local);
    const authorization = `Bearer ${await local.sign()}`;
    for (let i = 0; i < 25; i += 1) {
      const response = await localApp.inject({ url: "/api/private", headers: { authorization } });
      expect(response.statusCode).toBe(200);
    }
    expect(local.requests).toEqual({ discovery: 1, jwks: 1 });

    await local.rotate({ retireOld: true });
    const rotated = `Bearer ${await local.sign()}`;
    expect(
      (await localApp.inject({ url: "/trpc/private", headers: { authorization: rotated } })).statusCode,
    ).toBe(200);
    expect(local.requests.jwks).toBe(2);
    await localApp.close();
    await local.close();
  });

  it("answers unknown routes with a JSON 404 and never a stack trace", async () => {
    const response = await app.inject({ url: "/nope" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ code: "not_found", description: "Not found" });
    const trpcUnknown = await app.inject({ url: "/trpc/nope" });
    expect(trpcUnknown.statusCode).toBe(404);
    expect(trpcUnknown.body).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});

/**
 * The hardening promises at the HTTP level (RFC 6750, RFC 8725, RFC 9068): each hostile request
 * as a row, run on the REST mirrors and on tRPC; the issuer's outage as the client sees it; and
 * no input, however odd, yields a 5xx, a stack trace or the token back.
 */
import { Writable } from "node:stream";
import { createAccessTokenVerifier } from "@quickstart/auth";
import { createSigningKey, startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { base64url, CompactSign, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { buildAppFor } from "./build-app-for";

let issuer: TestIssuer;
let app: FastifyInstance;
let strictApp: FastifyInstance;
const logLines: string[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
  const config = issuer.verifierConfig;
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  app = await buildApp({
    verifier: createAccessTokenVerifier(config),
    logger: { level: "info", stream: logStream },
  });
  strictApp = await buildApp({
    verifier: createAccessTokenVerifier({ ...config, strictAccessTokenProfile: true }),
  });
});
afterAll(async () => {
  await app.close();
  await strictApp.close();
  await issuer.close();
});

const now = () => Math.floor(Date.now() / 1000);
const PATHS = ["/api/private", "/api/private-scoped", "/trpc/private", "/trpc/privateScoped"];

async function statusAndCode(target: FastifyInstance, url: string, authorization: string | undefined) {
  const response = await target.inject({
    url,
    headers: authorization === undefined ? {} : { authorization },
  });
  const body = response.json() as { code?: string; error?: { data?: { auth?: { code?: string } } } };
  return { status: response.statusCode, code: body.code ?? body.error?.data?.auth?.code, response };
}

const ROWS: [string, () => Promise<string>, number, string][] = [
  [
    "HS256 signed with the RSA public key as the secret",
    async () => {
      const secret = new TextEncoder().encode(JSON.stringify(issuer.currentKey.publicJwk));
      return new SignJWT({
        iss: issuer.issuer,
        aud: issuer.audience,
        exp: now() + 60,
        scope: "read:messages",
      })
        .setProtectedHeader({ alg: "HS256", kid: issuer.currentKey.kid })
        .sign(secret);
    },
    401,
    "invalid_header",
  ],
  [
    "alg none",
    async () =>
      `${base64url.encode(JSON.stringify({ alg: "none", kid: issuer.currentKey.kid }))}.${base64url.encode(
        JSON.stringify({ iss: issuer.issuer, aud: issuer.audience, exp: now() + 60, scope: "read:messages" }),
      )}.`,
    401,
    "invalid_header",
  ],
  [
    "an attacker's key embedded in jwk / jku / x5c",
    async () => {
      const attacker = await createSigningKey();
      return issuer.sign(
        {},
        {
          key: attacker,
          kid: attacker.kid,
          header: { jwk: attacker.publicJwk, jku: "http://127.0.0.1:1/jwks.json", x5c: ["AAAA"] },
        },
      );
    },
    401,
    "invalid_header",
  ],
  [
    "an attacker's key under a published kid",
    async () => issuer.sign({}, { key: await createSigningKey(), kid: issuer.currentKey.kid }),
    401,
    "invalid_header",
  ],
  [
    "an unknown crit header",
    async () => {
      const payload = new TextEncoder().encode(
        JSON.stringify({ iss: issuer.issuer, aud: issuer.audience, exp: now() + 60, scope: "read:messages" }),
      );
      return new CompactSign(payload)
        .setProtectedHeader({ alg: "RS256", kid: issuer.currentKey.kid, crit: ["x-custom"], "x-custom": 1 })
        .sign(issuer.currentKey.privateKey, { crit: { "x-custom": true } });
    },
    401,
    "invalid_header",
  ],
  ["no exp", async () => issuer.sign({ exp: undefined }), 401, "invalid_claims"],
  ["nbf in the future", async () => issuer.sign({ nbf: now() + 3600 }), 401, "invalid_claims"],
  ["iat in the future", async () => issuer.sign({ iat: now() + 3600 }), 401, "invalid_claims"],
  [
    "an issuer that differs by a trailing slash",
    async () => issuer.sign({ iss: issuer.issuer.slice(0, -1) }),
    401,
    "invalid_claims",
  ],
  ["an audience array without the API", async () => issuer.sign({ aud: ["a", "b"] }), 401, "invalid_claims"],
  ["a token over 8 KB", async () => issuer.sign({ padding: "x".repeat(9000) }), 401, "invalid_header"],
];

describe.each(PATHS)("%s", (path) => {
  it.each(ROWS)("refuses %s", async (_name, makeToken, status, code) => {
    const result = await statusAndCode(app, path, `Bearer ${await makeToken()}`);
    expect([result.status, result.code]).toEqual([status, code]);
  });

  it("accepts nbf and iat within the clock tolerance, and an audience array containing the API", async () => {
    const token = await issuer.sign({ nbf: now() + 3, iat: now() + 3, aud: ["other", issuer.audience] });
    expect((await statusAndCode(app, path, `Bearer ${token}`)).status).toBe(200);
  });

  it("in the strict RFC 9068 profile, refuses typ JWT and a token without client_id", async () => {
    expect((await statusAndCode(strictApp, path, `Bearer ${await issuer.sign()}`)).status).toBe(200);
    const wrongTyp = await statusAndCode(strictApp, path, `Bearer ${await issuer.sign({}, { typ: "JWT" })}`);
    expect([wrongTyp.status, wrongTyp.code]).toEqual([401, "invalid_header"]);
    const noClientId = await statusAndCode(
      strictApp,
      path,
      `Bearer ${await issuer.sign({ client_id: undefined })}`,
    );
    expect([noClientId.status, noClientId.code]).toEqual([401, "invalid_claims"]);
  });
});

describe("the issuer's outage, as the client sees it", () => {
  it("answers 503 jwks_unavailable with Retry-After on REST and tRPC, then recovers", async () => {
    const down = await startTestIssuer();
    down.failing = true;
    const outageApp = await buildAppFor(down);
    const authorization = `Bearer ${await down.sign()}`;
    for (const path of PATHS) {
      const result = await statusAndCode(outageApp, path, authorization);
      expect([result.status, result.code]).toEqual([503, "jwks_unavailable"]);
      expect(Number(result.response.headers["retry-after"])).toBeGreaterThanOrEqual(0);
      expect(result.response.headers["www-authenticate"]).toBeUndefined();
    }
    expect((await outageApp.inject({ url: "/api/public" })).statusCode).toBe(200);
    down.failing = false;
    for (const path of PATHS) expect((await statusAndCode(outageApp, path, authorization)).status).toBe(200);
    await outageApp.close();
    await down.close();
  });
});

describe("odd input", () => {
  it("refuses a header over Node's limit with 431 from the HTTP layer, not a 5xx", async () => {
    const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    for (const path of ["/api/private", "/trpc/private", "/api/public"]) {
      const response = await fetch(`${baseUrl}${path}`, {
        headers: { authorization: `Bearer ${"a".repeat(20_000)}` },
      });
      expect(response.status).toBe(431);
    }
  });

  // 300 requests: seconds on a loaded machine, hence more than vitest's 5 s default.
  it("never answers 5xx, a stack trace or the token back, whatever the header and path", {
    timeout: 30_000,
  }, async () => {
    const paths = [...PATHS, "/api/public", "/trpc/public", "/trpc/private,privateScoped?batch=1&input={}"];
    const token = await issuer.sign();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ maxLength: 100 }).map((s) => `Bearer ${s}`),
          fc.nat({ max: token.length - 1 }).map((i) => `Bearer ${token.slice(0, i)}`),
        ),
        async (url, authorization) => {
          let response: Awaited<ReturnType<FastifyInstance["inject"]>>;
          try {
            response = await app.inject({ url, headers: { authorization } });
          } catch {
            return; // characters Node refuses to put in a header never reach the server
          }
          expect(response.statusCode).toBeLessThan(500);
          expect(response.body).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
          if (authorization.length > 30) expect(response.body).not.toContain(authorization.slice(7));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("logs every refusal with its reason code and request id, and never the token", async () => {
    const token = await issuer.sign({ aud: "wrong" });
    logLines.length = 0;
    await app.inject({ url: "/api/private", headers: { authorization: `Bearer ${token}` } });
    await app.inject({ url: "/trpc/private", headers: { authorization: `Bearer ${token}` } });
    const refusals = logLines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.msg === "request refused");
    expect(refusals).toHaveLength(2);
    for (const entry of refusals)
      expect(entry).toMatchObject({ code: "invalid_claims", status: 401, reqId: expect.any(String) });
    expect(logLines.join("\n")).not.toContain(token.split(".")[1]);
  });

  it.each([
    "/api/public",
    "/api/private",
    "/trpc/public",
    "/trpc/private",
    "/trpc/public,private?batch=1",
    "/nope",
  ])("sends the OWASP REST security headers on %s, answered or refused", async (url) => {
    const response = await app.inject({ url });
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.headers["content-security-policy"]).toBe("frame-ancestors 'none'");
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
    expect(response.headers["x-frame-options"]).toBe("DENY");
    // Served over http here (no API_PUBLIC_URL): HSTS would be ignored by browsers.
    expect(response.headers["strict-transport-security"]).toBeUndefined();
    expect(response.headers["x-powered-by"]).toBeUndefined();
  });

  it("sends Strict-Transport-Security when the public URL is https", async () => {
    const httpsApp = await buildApp({
      verifier: createAccessTokenVerifier(issuer.verifierConfig),
      publicUrl: "https://api.example.com",
    });
    for (const url of ["/api/public", "/api/private", "/nope"]) {
      const response = await httpsApp.inject({ url });
      expect(response.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    }
    await httpsApp.close();
  });
});

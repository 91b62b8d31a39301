/**
 * /healthz and /readyz in the app, against a real HTTP issuer: no token needed, readiness reports
 * the verifier's keys and turns 503 once draining, and neither depends on the issuer being up.
 */
import { type AccessTokenVerifier, createAccessTokenVerifier } from "@quickstart/auth";
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app";

let issuer: TestIssuer;
let verifier: AccessTokenVerifier;
let app: FastifyInstance;
let draining = false;

async function setUp() {
  issuer = await startTestIssuer();
  draining = false;
  // Keys older than 300 ms are refreshed in the background, so an outage shows within the test.
  verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, jwksMaxAgeMs: 300, fetchCooldownMs: 0 });
  app = await buildApp({ verifier, draining: () => draining });
}
afterEach(async () => {
  verifier?.close();
  await app?.close();
  await issuer?.close();
});

const get = async (url: string, headers: Record<string, string> = {}) => {
  const response = await app.inject({ method: "GET", url, headers });
  return [response.statusCode, response.json()] as const;
};

describe("health endpoints", () => {
  it("report the keys: not_loaded before any token, loaded after one, stale while the issuer is down", async () => {
    await setUp();
    expect(await get("/healthz")).toEqual([200, { status: "ok" }]);
    expect(await get("/readyz")).toEqual([200, { status: "ready", keys: "not_loaded" }]);
    const authorization = `Bearer ${await issuer.sign()}`;
    expect((await get("/api/private", { authorization }))[0]).toBe(200);
    expect(await get("/readyz")).toEqual([200, { status: "ready", keys: "loaded" }]);

    // Still ready, and still serving: readiness never depends on the issuer.
    issuer.failing = true;
    await expect
      .poll(async () => (await get("/readyz"))[1], { timeout: 5000 })
      .toEqual({ status: "ready", keys: "stale" });
    expect((await get("/readyz"))[0]).toBe(200);
    expect((await get("/api/public"))[0]).toBe(200);
    expect((await get("/api/private", { authorization }))[0]).toBe(200);
  });

  it("answer 503 draining once shutdown has begun, while liveness stays 200", async () => {
    await setUp();
    draining = true;
    expect(await get("/readyz")).toEqual([503, { status: "draining" }]);
    expect(await get("/healthz")).toEqual([200, { status: "ok" }]);
  });
});

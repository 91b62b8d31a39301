/**
 * deploy/compose.yaml's demo, outside containers: tokens and browsers name the issuer at
 * http://localhost:<p1>/, where nothing listens for the API, while the API reaches it at
 * http://127.0.0.1:<p2> (AUTH_ISSUER_INTERNAL_URL). Discovery, keys and the OpenAPI document's
 * discovery are fetched there; `iss` is still checked against the public identifier, and the
 * OpenAPI document and RFC 9728 metadata still name the public URLs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAccessTokenVerifier } from "@quickstart/auth";
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { parseEnv, verifierConfigFromEnv } from "../src/env";

let closedPort: Server;
let publicOrigin: string;
let issuer: TestIssuer;

beforeAll(async () => {
  // A port that was free and is closed again: nothing answers at the issuer's public URL.
  closedPort = createServer();
  await new Promise<void>((resolve) => closedPort.listen(0, "127.0.0.1", resolve));
  const { port } = closedPort.address() as AddressInfo;
  await new Promise((resolve) => closedPort.close(resolve));
  publicOrigin = `http://localhost:${port}`;
  issuer = await startTestIssuer({ publicOrigin });
});
afterAll(() => issuer.close());

/** The API as server.ts builds it from this environment. */
async function appFor(extra: Record<string, string>): Promise<FastifyInstance> {
  const parsed = parseEnv({ AUTH_ISSUER: `${publicOrigin}/`, API_AUDIENCE: issuer.audience, ...extra });
  if (!("env" in parsed)) throw new Error(parsed.problems.join("; "));
  const config = verifierConfigFromEnv(parsed.env);
  return buildApp({
    verifier: createAccessTokenVerifier({ ...config, fetchCooldownMs: 0 }),
    issuerFetchOrigins: config.fetchOrigins,
    publicUrl: "http://localhost:8000",
  });
}

describe("AUTH_ISSUER_INTERNAL_URL", () => {
  it("fetches discovery, keys and the OpenAPI discovery at the internal URL, naming the public one", async () => {
    Object.assign(issuer.requests, { discovery: 0, jwks: 0 });
    const app = await appFor({ AUTH_ISSUER_INTERNAL_URL: issuer.listeningOrigin });
    const authorization = `Bearer ${await issuer.sign()}`;
    expect((await app.inject({ url: "/api/private", headers: { authorization } })).statusCode).toBe(200);
    // The jwks_uri the discovery document names is on the public origin: fetched at the internal one.
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });

    const openApi = await app.inject({ url: "/api/openapi.json" });
    expect(openApi.statusCode).toBe(200);
    expect(openApi.json().components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl).toBe(
      `${publicOrigin}/token`,
    );
    expect((await app.inject({ url: "/docs/json" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/.well-known/oauth-protected-resource" })).json()).toMatchObject({
      authorization_servers: [`${publicOrigin}/`],
    });

    // iss is still the public identifier: a token naming the internal URL is refused.
    const internalIss = `Bearer ${await issuer.sign({ iss: `${issuer.listeningOrigin}/` })}`;
    const refused = await app.inject({ url: "/api/private", headers: { authorization: internalIss } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: "invalid_claims" });
    await app.close();
  });

  it("is what makes it work: without it the keys and the OpenAPI discovery are unavailable", async () => {
    const app = await appFor({});
    const authorization = `Bearer ${await issuer.sign()}`;
    const refused = await app.inject({ url: "/api/private", headers: { authorization } });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ code: "jwks_unavailable" });
    expect((await app.inject({ url: "/api/openapi.json" })).statusCode).toBe(503);
    await app.close();
  });
});

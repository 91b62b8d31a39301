import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  API_ORIGIN,
  AUDIENCE,
  postToken,
  startEmbeddedIssuer,
  verifyAccessToken,
  WEB_ORIGIN,
} from "./helpers";

let issuer: Awaited<ReturnType<typeof startEmbeddedIssuer>>;
beforeAll(async () => {
  issuer = await startEmbeddedIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

const credentials = () => ({
  client_id: issuer.machineClient.clientId,
  client_secret: issuer.machineClient.clientSecret,
});

describe("client_credentials at /oauth/token", () => {
  it("answers the quickstart's form-encoded request with an RS256 at+jwt for the API", async () => {
    const response = await postToken(issuer, {
      grant_type: "client_credentials",
      ...credentials(),
      audience: AUDIENCE,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "read:messages" });

    const token = body.access_token as string;
    const { payload, protectedHeader } = await verifyAccessToken(issuer, token);
    expect(protectedHeader).toMatchObject({ alg: "RS256", typ: "at+jwt" });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({
      iss: issuer.url,
      aud: AUDIENCE,
      sub: "quickstart-m2m",
      client_id: "quickstart-m2m",
      scope: "read:messages",
    });
    expect(payload.exp).toBe((payload.iat as number) + 3600);
    expect(payload.jti).toEqual(expect.any(String));
  });

  it("accepts a JSON body, as Auth0 does", async () => {
    const response = await fetch(`${issuer.url}oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "client_credentials", ...credentials(), audience: AUDIENCE }),
    });
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    expect((await verifyAccessToken(issuer, access_token)).payload.scope).toBe("read:messages");
  });

  it("accepts client_secret_basic", async () => {
    const { client_id, client_secret } = credentials();
    const basic = Buffer.from(
      `${encodeURIComponent(client_id)}:${encodeURIComponent(client_secret)}`,
    ).toString("base64");
    const response = await postToken(
      issuer,
      { grant_type: "client_credentials", audience: AUDIENCE },
      { authorization: `Basic ${basic}` },
    );
    expect(response.status).toBe(200);
    expect(
      decodeProtectedHeader(((await response.json()) as { access_token: string }).access_token).typ,
    ).toBe("at+jwt");
  });

  it("accepts `resource` (RFC 8707) as well as `audience`", async () => {
    const response = await postToken(issuer, {
      grant_type: "client_credentials",
      ...credentials(),
      resource: AUDIENCE,
    });
    expect(response.status).toBe(200);
  });

  it("issues a token for the API when no audience is given (the default resource)", async () => {
    const response = await postToken(issuer, { grant_type: "client_credentials", ...credentials() });
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    expect((await verifyAccessToken(issuer, access_token)).payload).toMatchObject({
      aud: AUDIENCE,
      scope: "read:messages",
    });
  });

  it("refuses a wrong secret with 401 invalid_client", async () => {
    const response = await postToken(issuer, {
      grant_type: "client_credentials",
      client_id: "quickstart-m2m",
      client_secret: "wrong",
      audience: AUDIENCE,
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "invalid_client" });
  });

  it("refuses an unknown audience with 400 invalid_target", async () => {
    const response = await postToken(issuer, {
      grant_type: "client_credentials",
      ...credentials(),
      audience: "https://someone-else/api",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_target" });
  });

  it("refuses a JSON body that is not an object with 400 invalid_request", async () => {
    const response = await fetch(`${issuer.url}oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "[]",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_request" });
  });

  it("lets the API's docs page, and no other origin, get a token for the machine client (CORS)", async () => {
    const tokenFrom = (origin: string) =>
      postToken(issuer, { grant_type: "client_credentials", ...credentials() }, { origin });
    const allowed = await tokenFrom(API_ORIGIN);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(API_ORIGIN);
    const { access_token } = (await allowed.json()) as { access_token: string };
    expect((await verifyAccessToken(issuer, access_token)).payload.client_id).toBe("quickstart-m2m");

    // The SPA's origin is for the SPA's public client only; any other origin for no client.
    for (const origin of [WEB_ORIGIN, "http://evil.example", "null"]) {
      const refused = await tokenFrom(origin);
      expect(refused.status).toBe(400);
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
      expect(await refused.json()).toMatchObject({
        error: "invalid_request",
        error_description: `origin ${origin} not allowed for client: quickstart-m2m`,
      });
    }
  });

  it("keeps the API's origin closed to the SPA's public client", async () => {
    const response = await postToken(
      issuer,
      { grant_type: "refresh_token", client_id: "quickstart-spa", refresh_token: "unknown" },
      { origin: API_ORIGIN },
    );
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(await response.json()).toMatchObject({ error: "invalid_request" });
  });

  it("publishes discovery with the Auth0-like endpoints", async () => {
    const discovery = (await (await fetch(`${issuer.url}.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery).toMatchObject({
      issuer: issuer.url,
      token_endpoint: `${issuer.url}oauth/token`,
      jwks_uri: `${issuer.url}.well-known/jwks.json`,
      authorization_endpoint: `${issuer.url}authorize`,
      end_session_endpoint: `${issuer.url}oidc/logout`,
      code_challenge_methods_supported: ["S256"],
    });
    const jwks = (await (await fetch(`${issuer.url}.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", kid: expect.any(String) });
    // Only the public part leaves the issuer.
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });
});

// Opaque access tokens from the embedded issuer (ISSUER_ACCESS_TOKEN_FORMAT=opaque), checked by the
// real API through RFC 7662 introspection. A counting proxy sits between the API and the issuer's
// introspection endpoint, so each test sees exactly how many calls reached the issuer.
import { randomBytes } from "node:crypto";
import { buildApp } from "@quickstart/api";
import { createAccessTokenVerifier, type IntrospectionConfig } from "@quickstart/auth";
import { createDpopKey } from "@quickstart/auth/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startCountingProxy } from "./counting-proxy";
import { AUDIENCE, postToken, signIn, startEmbeddedIssuer } from "./helpers";

const PUBLIC_URL = "http://api.test";
const INTROSPECT = "/oauth/introspect";

let issuer: Awaited<ReturnType<typeof startEmbeddedIssuer>>;
let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
let api: Awaited<ReturnType<typeof startApi>>;

/** The API checking opaque tokens at the issuer, through `through` (a proxy) unless told otherwise. */
async function startApi(
  options: {
    audience?: string;
    introspection?: Partial<IntrospectionConfig>;
    through?: { url: string };
  } = {},
) {
  const client = issuer.introspectionClient;
  if (!client) throw new Error("the issuer is not in opaque mode");
  const through = options.through ?? proxy;
  return buildApp({
    publicUrl: PUBLIC_URL,
    verifier: createAccessTokenVerifier({
      issuer: issuer.url,
      audience: options.audience ?? AUDIENCE,
      introspection: {
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        endpoint: new URL(INTROSPECT, through.url).href,
        ...options.introspection,
      },
    }),
  });
}

async function machineToken(headers: Record<string, string> = {}) {
  const response = await postToken(
    issuer,
    {
      grant_type: "client_credentials",
      client_id: issuer.machineClient.clientId,
      client_secret: issuer.machineClient.clientSecret,
      audience: AUDIENCE,
    },
    headers,
  );
  return (await response.json()) as { access_token: string; token_type: string };
}

async function call(app: typeof api, url: string, headers: Record<string, string> = {}) {
  const response = await app.inject({ url, headers });
  const body = response.json() as { code?: string; error?: { data?: { auth?: { code?: string } } } };
  return {
    status: response.statusCode,
    code: body.code ?? body.error?.data?.auth?.code,
    headers: response.headers,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const randomOpaqueToken = () => randomBytes(32).toString("base64url");

beforeAll(async () => {
  issuer = await startEmbeddedIssuer({ accessTokenFormat: "opaque" });
  proxy = await startCountingProxy(issuer.url);
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
  await proxy?.close();
  await issuer?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the embedded issuer in opaque mode", () => {
  it("issues opaque access tokens and advertises its introspection endpoint", async () => {
    const { access_token } = await machineToken();
    expect(access_token).toMatch(/^[\w-]{43}$/);
    const discovery = (await (await fetch(`${issuer.url}.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery.introspection_endpoint).toBe(`${issuer.url}oauth/introspect`);
    expect(issuer.introspectionClient?.clientId).toBe("quickstart-api");
  });

  it("lets only the API's client introspect: the machine client is told active: false", async () => {
    const { access_token } = await machineToken();
    const response = await fetch(`${issuer.url}oauth/introspect`, {
      method: "POST",
      body: new URLSearchParams({
        token: access_token,
        client_id: issuer.machineClient.clientId,
        client_secret: issuer.machineClient.clientSecret,
      }),
    });
    expect(await response.json()).toEqual({ active: false });
  });
});

describe("opaque tokens at the API (RFC 7662)", () => {
  it("accepts an active machine token on REST and tRPC, with its scopes", async () => {
    const { access_token } = await machineToken();
    for (const path of ["/api/private", "/api/private-scoped", "/trpc/private", "/trpc/privateScoped"]) {
      expect((await call(api, path, bearer(access_token))).status).toBe(200);
    }
  });

  it("accepts alice's token on the scoped endpoint and bob's only on the unscoped one", async () => {
    const login = (username: string, password: string) =>
      signIn(issuer, { username, password, extra: { audience: AUDIENCE } }).then(
        ({ body }) => body.access_token,
      );
    const alice = (await login("alice", "wonderland")) as string;
    const bob = (await login("bob", "builder")) as string;
    expect((await call(api, "/api/private-scoped", bearer(alice))).status).toBe(200);
    expect((await call(api, "/api/private", bearer(bob))).status).toBe(200);
    expect(await call(api, "/api/private-scoped", bearer(bob))).toMatchObject({
      status: 403,
      code: "Unauthorized",
    });
  });

  it("refuses a token revoked at the issuer, and a made-up one, as invalid tokens (401)", async () => {
    const { access_token } = await machineToken();
    const revoked = await fetch(`${issuer.url}oauth/revoke`, {
      method: "POST",
      body: new URLSearchParams({
        token: access_token,
        client_id: issuer.machineClient.clientId,
        client_secret: issuer.machineClient.clientSecret,
      }),
    });
    expect(revoked.status).toBe(200);
    for (const token of [access_token, randomOpaqueToken()]) {
      const result = await call(api, "/api/private", bearer(token));
      expect([result.status, result.code]).toEqual([401, "invalid_header"]);
      expect(String(result.headers["www-authenticate"])).toContain('Bearer error="invalid_token"');
    }
  });

  it("refuses an expired token: the cached answer ends at exp and the issuer then says inactive", async () => {
    const { access_token } = await machineToken();
    expect((await call(api, "/api/private", bearer(access_token))).status).toBe(200);
    const calls = proxy.count(INTROSPECT);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2 * 60 * 60 * 1000 }); // the token lives an hour
    expect(await call(api, "/api/private", bearer(access_token))).toMatchObject({
      status: 401,
      code: "invalid_header",
    });
    expect(proxy.count(INTROSPECT)).toBe(calls + 1);
  });

  it("refuses a token for another audience (401 invalid_claims)", async () => {
    const otherApi = await startApi({ audience: "https://another/api" });
    try {
      const { access_token } = await machineToken();
      expect(await call(otherApi, "/api/private", bearer(access_token))).toMatchObject({
        status: 401,
        code: "invalid_claims",
      });
    } finally {
      await otherApi.close();
    }
  });

  it("binds a DPoP-bound opaque token to its key: accepted with a proof, refused as Bearer", async () => {
    const key = await createDpopKey("ES256");
    const { access_token, token_type } = await machineToken({
      dpop: await key.proof({ htm: "POST", htu: `${issuer.url}oauth/token` }),
    });
    expect(token_type).toBe("DPoP");
    const proof = (signer = key) =>
      signer.proof({ htm: "GET", htu: `${PUBLIC_URL}/api/private`, accessToken: access_token });
    expect(
      (await call(api, "/api/private", { authorization: `DPoP ${access_token}`, dpop: await proof() }))
        .status,
    ).toBe(200);
    const otherKey = await createDpopKey("ES256");
    expect(
      await call(api, "/api/private", { authorization: `DPoP ${access_token}`, dpop: await proof(otherKey) }),
    ).toMatchObject({ status: 401, code: "invalid_dpop_proof" });
    expect(await call(api, "/api/private", bearer(access_token))).toMatchObject({
      status: 401,
      code: "invalid_dpop_proof",
    });
  });

  it("asks the issuer once for a token used 100 times (cache hit rate 99%)", async () => {
    const { access_token } = await machineToken();
    const before = proxy.count(INTROSPECT);
    for (let i = 0; i < 100; i += 1)
      expect((await call(api, "/api/private", bearer(access_token))).status).toBe(200);
    expect(proxy.count(INTROSPECT) - before).toBe(1);
  });

  it("finds the endpoint through the issuer's discovery when AUTH_INTROSPECTION_URL is unset", async () => {
    const client = issuer.introspectionClient as { clientId: string; clientSecret: string };
    const discovering = await buildApp({
      verifier: createAccessTokenVerifier({ issuer: issuer.url, audience: AUDIENCE, introspection: client }),
    });
    try {
      const { access_token } = await machineToken();
      expect((await call(discovering, "/api/private-scoped", bearer(access_token))).status).toBe(200);
    } finally {
      await discovering.close();
    }
  });
});

describe("the issuer's introspection endpoint down", () => {
  it("answers 503 introspection_unavailable with Retry-After, while a cached token keeps working", async () => {
    const ownProxy = await startCountingProxy(issuer.url);
    const outageApi = await startApi({ through: ownProxy });
    try {
      const cached = (await machineToken()).access_token;
      expect((await call(outageApi, "/api/private", bearer(cached))).status).toBe(200);
      await ownProxy.close();
      const fresh = (await machineToken()).access_token;
      for (const path of ["/api/private", "/trpc/private"]) {
        const result = await call(outageApi, path, bearer(fresh));
        expect([result.status, result.code]).toEqual([503, "introspection_unavailable"]);
        expect(Number(result.headers["retry-after"])).toBeGreaterThanOrEqual(1);
        expect(result.headers["www-authenticate"]).toBeUndefined();
        expect((await call(outageApi, path, bearer(cached))).status).toBe(200);
      }
    } finally {
      await outageApi.close();
    }
  });
});

describe("a flood of random opaque tokens (anti-amplification)", () => {
  it("reaches the issuer at most as often as the caps allow; the rest get 503 and cost no call", async () => {
    const caps = { maxConcurrent: 4, maxPerSecond: 10 };
    const ownProxy = await startCountingProxy(issuer.url);
    const floodedApi = await startApi({ through: ownProxy, introspection: caps });
    try {
      const good = (await machineToken()).access_token;
      expect((await call(floodedApi, "/api/private", bearer(good))).status).toBe(200);
      const before = ownProxy.count(INTROSPECT);

      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 200 }, () => call(floodedApi, "/api/private", bearer(randomOpaqueToken()))),
      );
      const seconds = (performance.now() - started) / 1000;
      const calls = ownProxy.count(INTROSPECT) - before;
      const refused = results.filter((result) => result.status === 401 && result.code === "invalid_header");
      const capped = results.filter(
        (result) => result.status === 503 && result.code === "introspection_unavailable",
      );

      // Each call that reached the issuer gave one 401; every other request was refused without a call.
      expect(refused.length).toBe(calls);
      expect(capped.length).toBe(200 - calls);
      expect(calls).toBeLessThanOrEqual(caps.maxPerSecond * (1 + Math.ceil(seconds)));
      expect(calls).toBeLessThan(50);
      expect(ownProxy.maxInFlight).toBeLessThanOrEqual(caps.maxConcurrent);
      for (const result of capped) expect(result.headers["retry-after"]).toBe("1");
      // The token already known still works in the middle of the flood, with no call.
      expect((await call(floodedApi, "/api/private", bearer(good))).status).toBe(200);
      expect(ownProxy.count(INTROSPECT) - before).toBe(calls);
    } finally {
      await floodedApi.close();
      await ownProxy.close();
    }
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  authOutcome,
  createSigningKey,
  startTestIntrospectionServer,
  startTestIssuer,
  type TestIntrospectionServer,
  type TestIssuer,
} from "../testing";
import type { IntrospectionConfig, VerifierConfig } from "./config";
import { AuthError } from "./errors";
import { basicAuthorization } from "./introspection";
import { createAccessTokenVerifier } from "./verifier";

const AUDIENCE = "https://api.example";
const CLIENT = { clientId: "api client:1", clientSecret: "s3cr%t+/ =" };

let server: TestIntrospectionServer;
let jwtIssuer: TestIssuer;
beforeAll(async () => {
  jwtIssuer = await startTestIssuer({ audience: AUDIENCE });
});
afterAll(() => jwtIssuer.close());
beforeEach(async () => {
  server = await startTestIntrospectionServer();
});
afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

const now = () => Math.floor(Date.now() / 1000);
const active = (claims: Record<string, unknown> = {}) => ({
  active: true,
  iss: server.issuer,
  aud: AUDIENCE,
  exp: now() + 3600,
  client_id: "machine",
  scope: "read:messages",
  ...claims,
});

/** A verifier for the test server's issuer, with introspection configured (the endpoint from discovery). */
function verifierFor(introspection: Partial<IntrospectionConfig> = {}, logger?: CapturedLog) {
  return createAccessTokenVerifier(
    { issuer: server.issuer, audience: AUDIENCE, introspection: { ...CLIENT, ...introspection } },
    { logger },
  );
}

type CapturedLog = {
  info: (d: object, m: string) => void;
  warn: (d: object, m: string) => void;
  lines: string[];
};
function captureLog(): CapturedLog {
  const lines: string[] = [];
  const write = (details: object, message: string) =>
    void lines.push(`${message} ${JSON.stringify(details)}`);
  return { info: write, warn: write, lines };
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
}

describe("introspection (RFC 7662) behind verify()", () => {
  it("accepts an active answer: claims, scopes and cnf.jkt as for a JWT", async () => {
    server.answer = (token) =>
      token === "opaque-1" ? active({ cnf: { jkt: "thumbprint" } }) : { active: false };
    const { claims, scopes } = await verifierFor().verify("opaque-1");
    expect(claims).toMatchObject({
      iss: server.issuer,
      aud: AUDIENCE,
      client_id: "machine",
      cnf: { jkt: "thumbprint" },
    });
    expect(claims).not.toHaveProperty("active");
    expect([...scopes]).toEqual(["read:messages"]);
    expect(server.requests).toEqual({ introspection: 1, discovery: 1 });
  });

  it("authenticates with HTTP Basic over the form-urlencoded id and secret, and sends the token in the body", async () => {
    server.answer = () => active();
    await verifierFor().verify("opaque-1");
    const [scheme, credentials] = (server.last.authorization ?? "").split(" ");
    expect(scheme).toBe("Basic");
    // RFC 6749 §2.3.1: encoded first, so the ":" in the id does not end it early.
    expect(Buffer.from(credentials ?? "", "base64").toString()).toBe("api+client%3A1:s3cr%25t%2B%2F+%3D");
    expect(basicAuthorization(CLIENT.clientId, CLIENT.clientSecret)).toBe(server.last.authorization);
    expect(Object.fromEntries(server.last.body ?? [])).toEqual({
      token: "opaque-1",
      token_type_hint: "access_token",
    });
  });

  it.each<[string, () => Record<string, unknown>, string, string]>([
    ["inactive", () => ({ active: false }), "invalid_header", "the issuer says the token is not active"],
    [
      "another issuer",
      () => active({ iss: "https://evil.example/" }),
      "invalid_claims",
      'iss expected one of ["http',
    ],
    [
      "another audience",
      () => active({ aud: "https://other" }),
      "invalid_claims",
      'aud expected "https://api.example", got "https://other"',
    ],
    ["no audience", () => active({ aud: undefined }), "invalid_claims", "aud expected"],
    ["expired", () => active({ exp: now() - 60 }), "token_expired", "has passed"],
    ["not yet valid", () => active({ nbf: now() + 600 }), "invalid_claims", "nbf"],
    ["issued in the future", () => active({ iat: now() + 600 }), "invalid_claims", "iat"],
    ["a numeric scope", () => active({ scope: 42 }), "invalid_claims", "claims of the wrong type (scope"],
    ["a string exp", () => active({ exp: "soon" }), "invalid_claims", "exp"],
  ])("refuses an answer with %s", async (_case, answer, code, detail) => {
    server.answer = answer;
    const error = await refusal(verifierFor().verify("opaque-1"));
    expect(error.code).toBe(code);
    expect(error.detail).toContain(detail);
  });

  it("accepts an audience list that contains the API's, and an answer without iss (the endpoint's issuer)", async () => {
    server.answer = () => active({ aud: ["https://other", AUDIENCE], iss: undefined });
    const { claims } = await verifierFor().verify("opaque-1");
    expect(claims.iss).toBe(server.issuer);
  });

  it("caches an active answer until exp, by the token's hash, then asks again", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const exp = now() + 120;
    server.answer = () => active({ exp });
    const verifier = verifierFor();
    for (let i = 0; i < 20; i += 1) await verifier.verify("opaque-1");
    expect(server.requests.introspection).toBe(1);
    vi.setSystemTime(exp * 1000 - 1);
    await verifier.verify("opaque-1");
    expect(server.requests.introspection).toBe(1);
    vi.setSystemTime(exp * 1000);
    server.answer = () => ({ active: false });
    expect(await authOutcome(verifier.verify("opaque-1"))).toBe("invalid_header");
    expect(server.requests.introspection).toBe(2);
  });

  it("trusts an answer without exp for cacheSeconds, and its claims say until when", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    server.answer = () => active({ exp: undefined });
    const verifier = verifierFor({ cacheSeconds: 30 });
    const started = now();
    expect((await verifier.verify("opaque-1")).claims.exp).toBe(started + 30);
    vi.setSystemTime((started + 29) * 1000);
    await verifier.verify("opaque-1");
    expect(server.requests.introspection).toBe(1);
    vi.setSystemTime((started + 30) * 1000);
    await verifier.verify("opaque-1");
    expect(server.requests.introspection).toBe(2);
  });

  it("remembers a refusal briefly: a retried bad token costs one call per few seconds", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const verifier = verifierFor();
    for (let i = 0; i < 10; i += 1)
      expect(await authOutcome(verifier.verify("revoked"))).toBe("invalid_header");
    expect(server.requests.introspection).toBe(1);
    vi.setSystemTime(Date.now() + 5000);
    await authOutcome(verifier.verify("revoked"));
    expect(server.requests.introspection).toBe(2);
  });

  it("shares one call among concurrent requests with the same new token", async () => {
    server.answer = () => active();
    const verifier = verifierFor();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => authOutcome(verifier.verify("opaque-1"))),
    );
    expect(new Set(results)).toEqual(new Set(["accepted"]));
    expect(server.requests.introspection).toBe(1);
  });

  it("sends JWTs the JWT way and only other tokens to introspection", async () => {
    const verifier = createAccessTokenVerifier({
      ...jwtIssuer.verifierConfig,
      introspection: { ...CLIENT, endpoint: server.endpoint },
    });
    expect(await authOutcome(verifier.verify(await jwtIssuer.sign()))).toBe("accepted");
    expect(await authOutcome(verifier.verify("not.a.jwt"))).toBe("invalid_header");
    expect(server.requests.introspection).toBe(1);
    expect(server.requests.discovery).toBe(0); // AUTH_INTROSPECTION_URL skips discovery
  });

  it("introspects a JWT signed with a key the issuer does not publish (Okta's org server), and only that", async () => {
    const verifier = createAccessTokenVerifier({
      ...jwtIssuer.verifierConfig,
      introspection: { ...CLIENT, endpoint: server.endpoint },
    });
    const unpublished = await jwtIssuer.sign({}, { key: await createSigningKey() });
    server.answer = (token) =>
      token === unpublished ? active({ iss: jwtIssuer.issuer }) : { active: false };
    expect(await authOutcome(verifier.verify(unpublished))).toBe("accepted");
    expect(server.requests.introspection).toBe(1);
    // A published key's token that fails otherwise (here: expired) is refused without a call.
    expect(await authOutcome(verifier.verify(await jwtIssuer.sign({ exp: now() - 60 })))).toBe(
      "token_expired",
    );
    expect(server.requests.introspection).toBe(1);
  });

  it("accepts Okta's org server: a JWT signed with an unpublished key, and its introspection answer's shape", async () => {
    const verifier = createAccessTokenVerifier({
      issuer: jwtIssuer.issuer,
      audience: jwtIssuer.issuer,
      introspection: { ...CLIENT, endpoint: server.endpoint },
    });
    const orgToken = await jwtIssuer.sign({ aud: jwtIssuer.issuer }, { key: await createSigningKey() });
    // The documented answer of /oauth2/v1/introspect, with this test's issuer as the Okta domain.
    server.answer = () => ({
      active: true,
      token_type: "Bearer",
      scope: "openid profile",
      client_id: "a9VpZDRCeFh3Nkk2VdYa",
      username: "john.doe@example.com",
      exp: now() + 3600,
      iat: now(),
      sub: "john.doe@example.com",
      aud: jwtIssuer.issuer,
      iss: jwtIssuer.issuer,
      jti: "AT.7P4KlczBYVcWLkxduEuKeZfeiNYkZIC9uGJ28Cc-YaI",
      uid: "00uid4BxXw6I6TV4m0g3",
    });
    const { claims, scopes } = await verifier.verify(orgToken);
    expect(claims).toMatchObject({ sub: "john.doe@example.com", uid: "00uid4BxXw6I6TV4m0g3" });
    expect([...scopes]).toEqual(["openid", "profile"]);
  });

  it("without introspection configured, refuses a token that is not a JWT as before, and calls nothing", async () => {
    const verifier = createAccessTokenVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const error = await refusal(verifier.verify("opaque-1"));
    expect([error.code, error.detail]).toEqual(["invalid_header", "not a JWS: its header does not decode"]);
    expect(server.requests).toEqual({ introspection: 0, discovery: 0 });
  });

  it("logs each call and its outcome, never the token", async () => {
    const log = captureLog();
    server.answer = () => active();
    await verifierFor({}, log).verify("secret-opaque-token");
    await server.close();
    await authOutcome(verifierFor({}, log).verify("another-secret-opaque-token"));
    expect(log.lines.join("\n")).toMatch(/issuer introspection .*"status":200/);
    expect(log.lines.join("\n")).toMatch(
      /issuer discovery for introspection failed .*"code":"(ECONNREFUSED|UND_ERR_SOCKET)"/,
    );
    expect(log.lines.join("\n")).not.toContain("secret-opaque-token");
  });
});

describe("the JWT path's claim rules, applied to introspection answers", () => {
  const verifierWith = (options: Partial<VerifierConfig>) =>
    createAccessTokenVerifier({
      issuer: server.issuer,
      audience: AUDIENCE,
      introspection: { ...CLIENT, endpoint: server.endpoint },
      ...options,
    });

  it("reads scopes from AUTH_SCOPE_CLAIMS (Okta's scp array) with AUTH_SCOPE_PREFIX", async () => {
    server.answer = () => active({ scope: undefined, scp: ["api/read:messages", "openid"] });
    const { scopes } = await verifierWith({ profile: "okta", scopePrefix: "api/" }).verify("opaque-1");
    expect([...scopes]).toEqual(["read:messages"]);
    server.answer = () => active({ scope: undefined, scp: 7 });
    const error = await refusal(verifierWith({ profile: "okta" }).verify("opaque-2"));
    expect([error.code, error.detail]).toEqual([
      "invalid_claims",
      "introspection: scp expected a space-delimited string or an array of strings, got 7 (scopes are read from scp)",
    ]);
  });

  it("accepts an answer without aud only from AUTH_CLIENT_IDS' access tokens, and never an ID token", async () => {
    server.answer = (token) =>
      active({ aud: undefined, client_id: "c1", token_use: token === "id-token" ? "id" : "access" });
    expect(await authOutcome(verifierWith({ clientIds: ["c1"] }).verify("access-token"))).toBe("accepted");
    expect(await authOutcome(verifierWith({ clientIds: ["c1"] }).verify("id-token"))).toBe("invalid_claims");
    const error = await refusal(verifierWith({}).verify("access-token"));
    expect(error.detail).toContain("no aud: set AUTH_CLIENT_IDS for Cognito");
  });

  it("accepts iss from any configured issuer, and any audience of the list", async () => {
    server.answer = () => active({ iss: "https://second.example/", aud: "https://api-2" });
    const verifier = verifierWith({
      issuer: [server.issuer, "https://second.example/"],
      audience: [AUDIENCE, "https://api-2"],
    });
    expect(await authOutcome(verifier.verify("opaque-1"))).toBe("accepted");
  });

  it("sends discovery and introspection to AUTH_ISSUER_INTERNAL_URL's origin, keeping the public issuer", async () => {
    const publicIssuer = "http://localhost:9/"; // nothing listens there
    server.discoveryDocument = { issuer: publicIssuer, introspection_endpoint: `${publicIssuer}introspect` };
    server.answer = () => active({ iss: publicIssuer });
    const verifier = createAccessTokenVerifier({
      issuer: publicIssuer,
      audience: AUDIENCE,
      fetchOrigins: { "http://localhost:9": server.issuer.replace(/\/$/, "") },
      introspection: CLIENT,
    });
    expect(await authOutcome(verifier.verify("opaque-1"))).toBe("accepted");
    expect(server.requests).toEqual({ introspection: 1, discovery: 1 });
  });
});

describe("introspection outages", () => {
  it("answers 503 with Retry-After when the endpoint is down, and a cached active answer keeps working", async () => {
    server.answer = () => active();
    const verifier = verifierFor();
    await verifier.verify("cached");
    await server.close();
    expect(await authOutcome(verifier.verify("cached"))).toBe("accepted");
    const error = await refusal(verifier.verify("new"));
    expect([error.status, error.code]).toEqual([503, "introspection_unavailable"]);
    expect((error as AuthError & { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it.each([
    [
      "401",
      { status: 401, body: '{"error":"invalid_client"}' },
      "answered 401; check AUTH_INTROSPECTION_CLIENT_ID",
    ],
    ["500", { status: 500, body: "oops" }, "answered 500"],
    ["not JSON", { status: 200, body: "<html>" }, "without a boolean active"],
    ["no active", { status: 200, body: '{"aud":"x"}' }, "without a boolean active"],
  ])(
    "treats an answer that is %s as an outage (503), never as a verdict on the token",
    async (_case, reply, detail) => {
      server.answer = () => reply;
      const error = await refusal(verifierFor().verify("opaque-1"));
      expect(error.code).toBe("introspection_unavailable");
      expect(error.detail).toContain(detail);
      // Not remembered: the next request asks again.
      await refusal(verifierFor().verify("opaque-1"));
      expect(server.requests.introspection).toBe(2);
    },
  );

  it("says to set AUTH_INTROSPECTION_URL when discovery names no endpoint, or another issuer", async () => {
    server.discoveryDocument = { issuer: server.issuer };
    expect((await refusal(verifierFor().verify("opaque-1"))).detail).toContain("set AUTH_INTROSPECTION_URL");
    server.discoveryDocument = { issuer: "https://other/", introspection_endpoint: server.endpoint };
    expect((await refusal(verifierFor().verify("opaque-1"))).detail).toContain("discovery document's issuer");
    expect(server.requests.introspection).toBe(0);
  });
});

describe("introspection caps (anti-amplification)", () => {
  it("past maxConcurrent calls in flight, answers 503 at once and makes no call", async () => {
    let open: () => void = () => {};
    server.hold = new Promise((resolve) => {
      open = resolve;
    });
    server.answer = () => active();
    const verifier = verifierFor({ maxConcurrent: 2, endpoint: server.endpoint });
    const held = [verifier.verify("a"), verifier.verify("b")];
    await vi.waitFor(() => expect(server.requests.introspection).toBe(2));
    const error = await refusal(verifier.verify("c"));
    expect([error.status, error.code]).toEqual([503, "introspection_unavailable"]);
    expect(error.detail).toBe("introspection capped, no call made: 2 calls in flight (at most 2)");
    open();
    await Promise.all(held);
    expect(server.requests.introspection).toBe(2);
    expect(await authOutcome(verifier.verify("c"))).toBe("accepted");
  });

  it("past maxPerSecond calls, answers 503 and makes no call, with cached answers still served", async () => {
    vi.useFakeTimers({ toFake: ["performance"] }); // no refill while the flood runs
    server.answer = (token) => (token === "good" ? active() : { active: false });
    const verifier = verifierFor({ maxPerSecond: 5, endpoint: server.endpoint });
    await verifier.verify("good");
    const outcomes = [];
    for (let i = 0; i < 50; i += 1) outcomes.push(await authOutcome(verifier.verify(`random-${i}`)));
    expect(outcomes.filter((outcome) => outcome === "invalid_header")).toHaveLength(4);
    expect(outcomes.filter((outcome) => outcome === "introspection_unavailable")).toHaveLength(46);
    expect(server.requests.introspection).toBe(5);
    expect(await authOutcome(verifier.verify("good"))).toBe("accepted");
  });
});

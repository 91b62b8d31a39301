/**
 * Several issuers behind one verifier, against real issuers on 127.0.0.1: each one's tokens are
 * verified with its own keys only, an issuer outside the list is never contacted, and an issuer
 * that is down does not stop the others.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authOutcome } from "../testing/auth-outcome";
import { startTestIssuer, type TestIssuer } from "../testing/test-issuer";
import { AuthError } from "./errors";
import { combineKeysStatus, createIssuerRegistry } from "./issuer-registry";
import { createAccessTokenVerifier } from "./verifier";

let a: TestIssuer;
let b: TestIssuer;
let outsider: TestIssuer;

beforeAll(async () => {
  [a, b, outsider] = await Promise.all([startTestIssuer(), startTestIssuer(), startTestIssuer()]);
});
afterAll(async () => {
  await Promise.all([a, b, outsider].map((issuer) => issuer.close()));
});

const bothIssuers = (extra: object = {}) =>
  createAccessTokenVerifier({
    issuer: [a.issuer, b.issuer],
    audience: a.audience,
    fetchCooldownMs: 0,
    ...extra,
  });

const resetRequests = (...issuers: TestIssuer[]) => {
  for (const issuer of issuers) Object.assign(issuer.requests, { discovery: 0, jwks: 0 });
};

/** The detail of the refusal of `token`, for the log. */
async function refusalDetail(verification: Promise<unknown>): Promise<string | undefined> {
  try {
    await verification;
  } catch (error) {
    if (error instanceof AuthError) return error.detail;
    throw error;
  }
  throw new Error("token accepted");
}

describe("several issuers", () => {
  it("accepts tokens from each issuer, each fetching its own keys once", async () => {
    resetRequests(a, b);
    const verifier = bothIssuers();
    expect(await authOutcome(verifier.verify(await a.sign()))).toBe("accepted");
    expect(await authOutcome(verifier.verify(await b.sign()))).toBe("accepted");
    expect(await authOutcome(verifier.verify(await a.sign()))).toBe("accepted");
    expect(a.requests).toEqual({ discovery: 1, jwks: 1 });
    expect(b.requests).toEqual({ discovery: 1, jwks: 1 });
    expect(verifier.keysStatusByIssuer()).toEqual({ [a.issuer]: "loaded", [b.issuer]: "loaded" });
    verifier.close();
  });

  it("refuses a token signed with A's key that claims B, with or without B's kid", async () => {
    const verifier = bothIssuers();
    const withAKid = await a.sign({ iss: b.issuer });
    expect(await authOutcome(verifier.verify(withAKid))).toBe("invalid_header");
    expect(await refusalDetail(verifier.verify(withAKid))).toMatch(/is not among the issuer's keys/);
    // The kids collide: B's key set has that kid, and its key does not verify A's signature.
    const collidingKid = await a.sign({ iss: b.issuer }, { key: a.currentKey, kid: b.currentKey.kid });
    expect(await authOutcome(verifier.verify(collidingKid))).toBe("invalid_header");
    expect(await refusalDetail(verifier.verify(collidingKid))).toBe(
      "the signature does not verify with the issuer's key",
    );
    verifier.close();
  });

  it("refuses an issuer outside the list with no request to anyone", async () => {
    resetRequests(a, b, outsider);
    const verifier = bothIssuers();
    const token = await outsider.sign();
    for (let i = 0; i < 5; i += 1) expect(await authOutcome(verifier.verify(token))).toBe("invalid_claims");
    expect(await refusalDetail(verifier.verify(token))).toBe(
      `iss "${outsider.issuer}" is not among the configured issuers ["${a.issuer}","${b.issuer}"]`,
    );
    for (const issuer of [a, b, outsider]) expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 });
    expect(verifier.keysStatusByIssuer()).toEqual({ [a.issuer]: "not_loaded", [b.issuer]: "not_loaded" });
    verifier.close();
  });

  it("keeps accepting B's tokens while A is down", async () => {
    const down = await startTestIssuer();
    const verifier = createAccessTokenVerifier({
      issuer: [down.issuer, b.issuer],
      audience: b.audience,
      fetchCooldownMs: 0,
    });
    const downToken = await down.sign();
    await down.close();
    expect(await authOutcome(verifier.verify(downToken))).toBe("jwks_unavailable");
    expect(await authOutcome(verifier.verify(await b.sign()))).toBe("accepted");
    expect(await authOutcome(verifier.verify(downToken))).toBe("jwks_unavailable");
    expect(verifier.keysStatusByIssuer()).toEqual({ [down.issuer]: "not_loaded", [b.issuer]: "loaded" });
    expect(verifier.keysStatus()).toBe("loaded");
    verifier.close();
  });

  it("accepts any of several audiences", async () => {
    const verifier = bothIssuers({ audience: ["https://one/api", a.audience] });
    expect(await authOutcome(verifier.verify(await a.sign({ aud: a.audience })))).toBe("accepted");
    expect(await authOutcome(verifier.verify(await a.sign({ aud: ["x", "https://one/api"] })))).toBe(
      "accepted",
    );
    const wrong = a.sign({ aud: "https://three/api" });
    expect(await refusalDetail(verifier.verify(await wrong))).toBe(
      `aud expected ["https://one/api","${a.audience}"], got "https://three/api"`,
    );
    verifier.close();
  });
});

describe("a multi-tenant issuer template", () => {
  const TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";
  let entra: TestIssuer;
  beforeAll(async () => {
    entra = await startTestIssuer({ path: "/{tenantid}/v2.0" });
  });
  afterAll(() => entra.close());

  it("finds its keys through discovery at common, whose issuer is the template itself", async () => {
    resetRequests(entra);
    const verifier = createAccessTokenVerifier({
      ...entra.verifierConfig,
      tenants: [TENANT],
      fetchCooldownMs: 0,
    });
    const token = await entra.sign({ iss: entra.issuerFor(TENANT), tid: TENANT });
    expect(await authOutcome(verifier.verify(token))).toBe("accepted");
    expect(entra.requests).toEqual({ discovery: 1, jwks: 1 });
    verifier.close();
  });

  it.each([
    ["a tenant not allowed", () => ({ iss: entra.issuerFor("other-tenant"), tid: "other-tenant" })],
    ["an iss of another tenant than its tid", () => ({ iss: entra.issuerFor("other-tenant"), tid: TENANT })],
    ["no tid", () => ({ iss: entra.issuerFor(TENANT), tid: undefined })],
    ["the template itself as iss", () => ({ iss: entra.issuer, tid: TENANT })],
  ])("refuses %s before any request", async (_name, claims) => {
    resetRequests(entra);
    const verifier = createAccessTokenVerifier({ ...entra.verifierConfig, tenants: [TENANT] });
    expect(await authOutcome(verifier.verify(await entra.sign(claims())))).toBe("invalid_claims");
    expect(entra.requests).toEqual({ discovery: 0, jwks: 0 });
    verifier.close();
  });

  it("names the tenant allowlist when the tenant is not in it", async () => {
    const verifier = createAccessTokenVerifier({ ...entra.verifierConfig, tenants: [TENANT] });
    const token = await entra.sign({ iss: entra.issuerFor("other-tenant"), tid: "other-tenant" });
    expect(await refusalDetail(verifier.verify(token))).toBe(
      `tid "other-tenant" is not among the allowed tenants ["${TENANT}"] of ${entra.issuer}`,
    );
    verifier.close();
  });

  it("cannot be configured without tenants", () => {
    expect(() => createAccessTokenVerifier(entra.verifierConfig)).toThrow(/tenant/);
    expect(() =>
      createIssuerRegistry({
        issuers: [entra.issuer],
        tenants: [],
        fetchTimeoutMs: 1000,
        fetchCooldownMs: 0,
        jwksMaxAgeMs: 1000,
      }),
    ).toThrow(/needs a list of allowed tenants/);
  });
});

describe("fetchOrigins", () => {
  it("fetches an issuer named http://localhost:<p1>/ where it listens, rewriting its jwks_uri too", async () => {
    // Nothing listens on port 9 (discard): a fetch at the public origin would fail.
    const hidden = await startTestIssuer({ publicOrigin: "http://localhost:9" });
    const token = await hidden.sign();
    const direct = createAccessTokenVerifier({ ...hidden.verifierConfig, fetchCooldownMs: 0 });
    expect(await authOutcome(direct.verify(token))).toBe("jwks_unavailable");
    const rewritten = createAccessTokenVerifier({
      ...hidden.verifierConfig,
      fetchOrigins: { "http://localhost:9": hidden.listeningOrigin },
    });
    expect(await authOutcome(rewritten.verify(token))).toBe("accepted");
    expect(hidden.requests).toEqual({ discovery: 1, jwks: 1 });
    direct.close();
    rewritten.close();
    await hidden.close();
  });
});

describe("combineKeysStatus", () => {
  it.each([
    [["not_loaded", "not_loaded"], "not_loaded"],
    [["loaded", "not_loaded"], "loaded"],
    [["loaded", "stale"], "stale"],
  ] as const)("combines %j as %s", (statuses, combined) => {
    expect(combineKeysStatus(statuses)).toBe(combined);
  });
});

import { base64url, CompactSign, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createSigningKey, startTestIssuer, type TestIssuer } from "../testing/test-issuer";
import { AuthError } from "./errors";
import { type AccessTokenVerifier, createAccessTokenVerifier } from "./verifier";

let issuer: TestIssuer;
let verifier: AccessTokenVerifier;

beforeAll(async () => {
  issuer = await startTestIssuer();
  verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, fetchCooldownMs: 0 });
});
afterAll(() => issuer.close());
afterEach(() => {
  vi.useRealTimers();
});

async function refusal(token: string, on = verifier): Promise<[number, string, string]> {
  try {
    await on.verify(token);
  } catch (error) {
    if (error instanceof AuthError) return [error.status, error.code, error.description];
    throw error;
  }
  throw new Error("token accepted");
}

const UNPARSABLE = [401, "invalid_header", "Unable to parse authentication token."];
const NO_KEY = [401, "invalid_header", "Unable to find appropriate key"];
const BAD_CLAIMS = [401, "invalid_claims", "incorrect claims,please check the audience and issuer"];

describe("createAccessTokenVerifier", () => {
  it("accepts a token signed by a published key, with typed claims and scopes", async () => {
    const { claims, scopes } = await verifier.verify(await issuer.sign({ sub: "alice" }));
    expect(claims.sub).toBe("alice");
    expect(claims.iss).toBe(issuer.issuer);
    expect(scopes.has("read:messages")).toBe(true);
  });

  it("accepts an aud array containing the audience", async () => {
    await expect(
      verifier.verify(await issuer.sign({ aud: ["other", issuer.audience] })),
    ).resolves.toBeTruthy();
  });

  it("refuses an expired token, beyond the clock tolerance only", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(await issuer.sign({ exp: now - 10 }))).toEqual([
      401,
      "token_expired",
      "token is expired",
    ]);
    await expect(verifier.verify(await issuer.sign({ exp: now - 2 }))).resolves.toBeTruthy();
  });

  it("refuses a token it accepted once the clock passes exp and the tolerance (frozen clock)", async () => {
    const token = await issuer.sign({ exp: Math.floor(Date.now() / 1000) + 60 });
    await expect(verifier.verify(token)).resolves.toBeTruthy();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 66_000);
    expect((await refusal(token))[1]).toBe("token_expired");
  });

  // Claims as functions: the issuer's URL is known only once beforeAll has run.
  it.each([
    ["wrong audience", () => ({ aud: "https://someone-else/api" })],
    ["wrong issuer", () => ({ iss: "https://evil.example/" })],
    ["issuer without its trailing slash", () => ({ iss: issuer.issuer.slice(0, -1) })],
    ["no exp", () => ({ exp: undefined })],
    ["nbf in the future", () => ({ nbf: Math.floor(Date.now() / 1000) + 600 })],
    ["iat in the future", () => ({ iat: Math.floor(Date.now() / 1000) + 600 })],
    ["a scope that is not a string", () => ({ scope: 42 })],
  ])("refuses %s as invalid_claims", async (_name, claims) => {
    expect(await refusal(await issuer.sign(claims()))).toEqual(BAD_CLAIMS);
  });

  it("refuses alg none, HS256 keyed with the public key, and other algorithms not allowed", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", kid: "x" }));
    const body = base64url.encode(JSON.stringify({ iss: issuer.issuer, aud: issuer.audience, exp: 2e9 }));
    expect(await refusal(`${header}.${body}.`)).toEqual(UNPARSABLE);

    const { publicJwk, kid } = issuer.currentKey;
    const publicKeyAsSecret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const hs256 = await new SignJWT({ iss: issuer.issuer, aud: issuer.audience, exp: 2e9 })
      .setProtectedHeader({ alg: "HS256", kid })
      .sign(publicKeyAsSecret);
    expect(await refusal(hs256)).toEqual(UNPARSABLE);

    const ps256 = await createSigningKey("PS256");
    expect(await refusal(await issuer.sign({}, { key: ps256, alg: "PS256" }))).toEqual(UNPARSABLE);
  });

  it("refuses garbage, a tampered payload and a wrong signature", async () => {
    for (const garbage of ["abc", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9", "🙂.🙂.🙂"]) {
      expect(await refusal(garbage)).toEqual(UNPARSABLE);
    }
    const [h, , s] = (await issuer.sign()).split(".");
    const forged = base64url.encode(
      JSON.stringify({ iss: issuer.issuer, aud: issuer.audience, exp: 2e9, sub: "x" }),
    );
    expect(await refusal(`${h}.${forged}.${s}`)).toEqual(UNPARSABLE);

    const stranger = await createSigningKey();
    expect(await refusal(await issuer.sign({}, { key: stranger, kid: (await issuer.rotate()).kid }))).toEqual(
      UNPARSABLE,
    );
  });

  it("refuses a token with no kid or an unknown kid", async () => {
    expect(await refusal(await issuer.sign({}, { kid: null }))).toEqual(NO_KEY);
    expect(await refusal(await issuer.sign({}, { kid: "no-such-key" }))).toEqual(NO_KEY);
  });

  it("ignores keys embedded in the token header (jwk, jku, x5u)", async () => {
    const attacker = await createSigningKey();
    const token = await issuer.sign(
      {},
      {
        key: attacker,
        kid: attacker.kid,
        header: {
          jwk: attacker.publicJwk,
          jku: `${issuer.issuer}.well-known/jwks.json`,
          x5u: "https://evil/",
        },
      },
    );
    expect(await refusal(token)).toEqual(NO_KEY);
  });

  it("refuses an unknown crit header", async () => {
    // Signed with the published key, so only the crit header can make it fail.
    const payload = base64url.decode((await issuer.sign()).split(".")[1] as string);
    const token = await new CompactSign(payload)
      .setProtectedHeader({ alg: "RS256", kid: issuer.currentKey.kid, crit: ["x-custom"], "x-custom": true })
      .sign(issuer.currentKey.privateKey, { crit: { "x-custom": true } });
    expect(await refusal(token)).toEqual(UNPARSABLE);
  });
});

describe("a refusal's detail (for the log, never the response)", () => {
  async function refused(token: string, on = verifier): Promise<AuthError> {
    const error = await on.verify(token).catch((e: unknown) => e);
    if (!(error instanceof AuthError)) throw new Error(`not refused: ${String(error)}`);
    expect(JSON.stringify(error.toJSON())).not.toContain("expected");
    expect(error.detail).not.toContain(token.split(".")[2]);
    return error;
  }

  it("says what was expected and what the token has", async () => {
    expect((await refused(await issuer.sign({ aud: "https://other/api" }))).detail).toBe(
      `aud expected "${issuer.audience}", got "https://other/api"`,
    );
    expect((await refused(await issuer.sign({ iss: "https://evil.example/" }))).detail).toBe(
      `iss expected "${issuer.issuer}", got "https://evil.example/"`,
    );
    const unknownKid = await refused(await issuer.sign({}, { kid: "from-elsewhere" }));
    expect(unknownKid.detail).toMatch(
      /^kid "from-elsewhere" is not among the issuer's keys \["test-key-[^\]]+\] \(for "RS256"\); the token may come from another issuer$/,
    );
    expect(unknownKid.detail).toContain(JSON.stringify(issuer.currentKey.kid));
    expect((await refused(await issuer.sign({}, { kid: null }))).detail).toBe(
      "the token's header has no kid",
    );
    const exp = Math.floor(Date.now() / 1000) - 60;
    expect((await refused(await issuer.sign({ exp }))).detail).toBe(
      `exp ${exp} (${new Date(exp * 1000).toISOString()}) has passed`,
    );
    const ps256 = await createSigningKey("PS256");
    expect((await refused(await issuer.sign({}, { key: ps256, alg: "PS256" }))).detail).toBe(
      `alg expected one of [RS256], got "PS256"`,
    );
    const strict = createAccessTokenVerifier({ ...issuer.verifierConfig, strictAccessTokenProfile: true });
    expect((await refused(await issuer.sign({}, { typ: "JWT" }), strict)).detail).toBe(
      `typ expected "at+jwt", got "JWT"`,
    );
  });
});

describe("the issuer's key set", () => {
  it("is fetched once for many requests", async () => {
    const local = await startTestIssuer();
    const onLocal = createAccessTokenVerifier(local.verifierConfig);
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => local.sign({ sub: `u${i}` })));
    await Promise.all(tokens.map((token) => onLocal.verify(token)));
    for (const token of tokens) await onLocal.verify(token);
    expect(local.requests).toEqual({ discovery: 1, jwks: 1 });
    await local.close();
  });

  it("is found at <issuer>.well-known/jwks.json when discovery answers 404", async () => {
    const local = await startTestIssuer();
    local.discovery = false;
    const onLocal = createAccessTokenVerifier(local.verifierConfig);
    await expect(onLocal.verify(await local.sign())).resolves.toBeTruthy();
    expect(local.requests).toEqual({ discovery: 1, jwks: 1 });
    await local.close();
  });

  it("picks up a rotated key without a restart", async () => {
    const local = await startTestIssuer();
    const onLocal = createAccessTokenVerifier({ ...local.verifierConfig, fetchCooldownMs: 0 });
    await onLocal.verify(await local.sign());
    await local.rotate({ retireOld: true });
    await expect(onLocal.verify(await local.sign())).resolves.toBeTruthy();
    expect(local.requests.jwks).toBe(2);
    await local.close();
  });

  it("starts lazily, answers 503 jwks_unavailable while the issuer is down, and recovers", async () => {
    const local = await startTestIssuer();
    local.failing = true;
    const onLocal = createAccessTokenVerifier({ ...local.verifierConfig, fetchCooldownMs: 0 });
    expect(local.requests.discovery).toBe(0);
    const token = await local.sign();
    expect((await refusal(token, onLocal)).slice(0, 2)).toEqual([503, "jwks_unavailable"]);
    local.failing = false;
    await expect(onLocal.verify(token)).resolves.toBeTruthy();
    await local.close();
  });
});

describe("the strict RFC 9068 profile", () => {
  it("requires typ at+jwt and the RFC's claims", async () => {
    const strict = createAccessTokenVerifier({ ...issuer.verifierConfig, strictAccessTokenProfile: true });
    await expect(strict.verify(await issuer.sign())).resolves.toBeTruthy();
    expect(await refusal(await issuer.sign({}, { typ: "JWT" }), strict)).toEqual(UNPARSABLE);
    expect(await refusal(await issuer.sign({ client_id: undefined }), strict)).toEqual(BAD_CLAIMS);
    expect(await refusal(await issuer.sign({ jti: undefined }), strict)).toEqual(BAD_CLAIMS);
    // The default profile takes a plain JWT, as the quickstart does.
    await expect(
      verifier.verify(await issuer.sign({ client_id: undefined }, { typ: "JWT" })),
    ).resolves.toBeTruthy();
  });
});

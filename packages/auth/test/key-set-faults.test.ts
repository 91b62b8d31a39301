/**
 * The key set under the issuer's faults, against a real HTTP issuer the test slows down, fails,
 * stops and rotates. Each test asserts how many requests the issuer actually received.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { KeySetUnavailable } from "../src/errors";
import { createAccessTokenVerifier } from "../src/verifier";
import { authOutcome, startTestIssuer, type TestIssuer } from "../testing";

const issuers: TestIssuer[] = [];
async function issuerForTest() {
  const issuer = await startTestIssuer();
  issuers.push(issuer);
  return issuer;
}
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(issuers.splice(0).map((issuer) => issuer.close().catch(() => {})));
});

describe("the key set under faults", () => {
  it("times out a slow issuer with a clear 503 instead of hanging", async () => {
    const issuer = await issuerForTest();
    issuer.delayMs = 3000;
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, fetchTimeoutMs: 200 });
    const started = Date.now();
    expect(await authOutcome(verifier.verify(await issuer.sign()))).toBe("jwks_unavailable");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("keeps cached tokens through failed fetches: only a key set that arrives makes them stale", async () => {
    const issuer = await issuerForTest();
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, fetchCooldownMs: 0 });
    const token = await issuer.sign();
    await verifier.verify(token); // the first key set arrives during this verification
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first); // served from the cache, not verified again

    issuer.failing = true; // a fetch that fails changes no keys, so the cache stays
    expect(await authOutcome(verifier.verify(await issuer.sign({}, { kid: "unknown" })))).toBe(
      "jwks_unavailable",
    );
    expect(await verifier.verify(token)).toBe(first);
  });

  it("keeps accepting tokens signed with cached keys while the issuer is down", async () => {
    const issuer = await issuerForTest();
    const verifier = createAccessTokenVerifier(issuer.verifierConfig);
    await verifier.verify(await issuer.sign());
    const token = await issuer.sign({ sub: "later" });
    await issuer.close();
    await expect(verifier.verify(token)).resolves.toMatchObject({ claims: { sub: "later" } });
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it("answers 503 with a retry hint when no key is cached, backs off, and recovers without a restart", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const issuer = await issuerForTest();
    issuer.failing = true;
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, fetchCooldownMs: 30_000 });
    const token = await issuer.sign();

    const error = await verifier.verify(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeySetUnavailable);
    expect((error as KeySetUnavailable).status).toBe(503);
    expect((error as KeySetUnavailable).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(issuer.requests.discovery).toBe(1);

    // Within the backoff, requests fail fast without reaching the issuer.
    for (let i = 0; i < 20; i += 1)
      expect(await authOutcome(verifier.verify(token))).toBe("jwks_unavailable");
    expect(issuer.requests.discovery).toBe(1);

    issuer.failing = false;
    vi.setSystemTime(Date.now() + 5_001);
    await expect(verifier.verify(token)).resolves.toBeTruthy();
    expect(issuer.requests).toEqual({ discovery: 2, jwks: 1 });
  });

  it("refetches at most once per cooldown window for a flood of unknown kids", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const issuer = await issuerForTest();
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, fetchCooldownMs: 30_000 });
    await verifier.verify(await issuer.sign());
    const flood = () =>
      Promise.all(
        Array.from({ length: 100 }, async (_, i) =>
          authOutcome(verifier.verify(await issuer.sign({}, { kid: `random-${i}-${Math.random()}` }))),
        ),
      );

    expect(new Set(await flood())).toEqual(new Set(["invalid_header"]));
    expect(issuer.requests.jwks).toBe(1); // still cooling down from the first fetch

    vi.setSystemTime(Date.now() + 31_000);
    expect(new Set(await flood())).toEqual(new Set(["invalid_header"]));
    expect(issuer.requests.jwks).toBe(2); // one refetch for the whole flood
  });

  it("accepts a token signed with a new key after rotation, once the cooldown allows a refetch", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const issuer = await issuerForTest();
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, fetchCooldownMs: 30_000 });
    await verifier.verify(await issuer.sign());
    await issuer.rotate();
    vi.setSystemTime(Date.now() + 31_000);
    await expect(verifier.verify(await issuer.sign())).resolves.toBeTruthy();
    expect(issuer.requests.jwks).toBe(2);
  });

  it("refuses a discovery document that names another issuer", async () => {
    const issuer = await issuerForTest();
    const verifier = createAccessTokenVerifier({
      issuer: issuer.issuer.replace("127.0.0.1", "localhost"),
      audience: issuer.audience,
    });
    const token = await issuer.sign();
    for (let i = 0; i < 5; i += 1) expect(await authOutcome(verifier.verify(token))).toBe("jwks_unavailable");
    // One look at the document, then the same backoff as an unreachable issuer.
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 0 });
  });

  it("backs off after a key set it cannot use, as after an unreachable issuer", async () => {
    const issuer = await issuerForTest();
    // The discovery document is JSON but not a JWKS.
    const jwksUri = `${issuer.issuer}.well-known/openid-configuration`;
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, jwksUri });
    const token = await issuer.sign();
    for (let i = 0; i < 5; i += 1) expect(await authOutcome(verifier.verify(token))).toBe("jwks_unavailable");
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 0 });
  });

  it("logs each fetch from the issuer and its outcome, without tokens", async () => {
    const issuer = await issuerForTest();
    const lines: { level: string; message: string; details: Record<string, unknown> }[] = [];
    const logger = {
      info: (details: object, message: string) =>
        lines.push({ level: "info", message, details: { ...details } }),
      warn: (details: object, message: string) =>
        lines.push({ level: "warn", message, details: { ...details } }),
    };
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, fetchCooldownMs: 0 }, { logger });
    const token = await issuer.sign();
    await verifier.verify(token);
    expect(lines.map((line) => [line.level, line.message, line.details.url, line.details.status])).toEqual([
      ["info", "issuer key fetch", `${issuer.issuer}.well-known/openid-configuration`, 200],
      ["info", "issuer key fetch", issuer.jwksUri, 200],
    ]);

    issuer.failing = true;
    await authOutcome(verifier.verify(await issuer.sign({}, { kid: "unknown" })));
    expect(lines.at(-1)).toMatchObject({
      level: "warn",
      message: "issuer key fetch failed",
      details: { url: issuer.jwksUri },
    });
    expect(JSON.stringify(lines)).not.toContain(token.split(".")[1]);
  });
});

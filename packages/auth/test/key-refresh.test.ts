/**
 * Background refresh of the issuer's keys (revocation, rotation, outages), against a real HTTP
 * issuer, with max ages of a few hundred milliseconds so the refreshes happen within the test.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type AccessTokenVerifier, createAccessTokenVerifier } from "../src/verifier";
import { authOutcome, startTestIssuer } from "../testing";

const MAX_AGE_MS = 300;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => Promise.resolve(cleanup()).catch(() => {})));
});

type Logged = { level: string; message: string; details: Record<string, unknown> };

async function setUp(options: { fetchCooldownMs?: number; jwksMaxAgeMs?: number } = {}) {
  const issuer = await startTestIssuer();
  const logged: Logged[] = [];
  const logger = {
    info: (details: object, message: string) =>
      logged.push({ level: "info", message, details: { ...details } }),
    warn: (details: object, message: string) =>
      logged.push({ level: "warn", message, details: { ...details } }),
  };
  const verifier = createAccessTokenVerifier(
    {
      ...issuer.verifierConfig,
      jwksMaxAgeMs: options.jwksMaxAgeMs ?? MAX_AGE_MS,
      fetchCooldownMs: options.fetchCooldownMs ?? 30_000,
    },
    { logger },
  );
  cleanups.push(
    () => verifier.close(),
    () => issuer.close(),
  );
  return { issuer, verifier, logged };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds until `outcome` of the token is `expected`, polling every 20 ms; throws after `withinMs`. */
async function msUntil(
  verifier: AccessTokenVerifier,
  token: () => Promise<string> | string,
  expected: string,
  withinMs: number,
) {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if ((await authOutcome(verifier.verify(await token()))) === expected) return Date.now() - started;
    await sleep(20);
  }
  throw new Error(`still not ${expected} after ${withinMs} ms`);
}

describe("the key refresh", () => {
  it("refuses a revoked key's token within the max age, cached or not, and keeps the other keys", async () => {
    const { issuer, verifier } = await setUp();
    const compromised = issuer.currentKey;
    const cachedToken = await issuer.sign({ sub: "cached" });
    expect(await authOutcome(verifier.verify(cachedToken))).toBe("accepted");
    expect(verifier.keysStatus()).toBe("loaded");

    await issuer.rotate();
    issuer.revoke(compromised);
    const revokedAt = Date.now();
    // Until the refresh lands, the cached keys still apply (the refresh is not due yet).
    expect(await authOutcome(verifier.verify(cachedToken))).toBe("accepted");

    await msUntil(verifier, () => cachedToken, "invalid_header", 10 * MAX_AGE_MS);
    expect(Date.now() - revokedAt).toBeLessThan(MAX_AGE_MS + 1000); // timers run late on a busy machine
    // A token made with the revoked key that was never cached is refused too, without a refetch.
    const jwksRequests = issuer.requests.jwks;
    expect(await authOutcome(verifier.verify(await issuer.sign({}, { key: compromised })))).toBe(
      "invalid_header",
    );
    expect(await authOutcome(verifier.verify(await issuer.sign({ sub: "new key" })))).toBe("accepted");
    expect(issuer.requests.jwks).toBe(jwksRequests);
  });

  it("never makes a request wait for a refresh once keys are loaded", async () => {
    const { issuer, verifier } = await setUp();
    await verifier.verify(await issuer.sign());
    issuer.delayMs = 5000; // every refresh from now on takes 5 s
    const requestsBefore = issuer.requests.jwks;
    await sleep(MAX_AGE_MS + 100);
    const started = performance.now();
    for (let i = 0; i < 5; i += 1) {
      expect(await authOutcome(verifier.verify(await issuer.sign({ sub: `u${i}` })))).toBe("accepted");
    }
    expect(performance.now() - started).toBeLessThan(2000);
    // The refresh had started (the issuer counts a request on arrival) but was not awaited.
    expect(issuer.requests.jwks).toBe(requestsBefore + 1);
  });

  it("accepts valid tokens through an issuer outage longer than the max age, and reports stale keys", async () => {
    // A short cooldown: after a failed fetch, the next attempt waits for it.
    const { issuer, verifier, logged } = await setUp({ fetchCooldownMs: MAX_AGE_MS });
    await verifier.verify(await issuer.sign());
    issuer.failing = true;
    const outageStarted = Date.now();
    while (Date.now() - outageStarted < 4 * MAX_AGE_MS) {
      // Fresh tokens (never cached) signed with the last good key.
      expect(await authOutcome(verifier.verify(await issuer.sign()))).toBe("accepted");
      await sleep(50);
    }
    expect(verifier.keysStatus()).toBe("stale");
    const refreshFailures = logged.filter((line) => line.message.startsWith("issuer key refresh failed"));
    expect(refreshFailures.length).toBeGreaterThanOrEqual(2);
    expect(refreshFailures.every((line) => line.level === "warn")).toBe(true);
    expect(refreshFailures.at(-1)?.details.keysAgeS).toBeGreaterThanOrEqual(1);
    // Retried after a backoff, not in a tight loop: at most one refresh per max age.
    expect(issuer.requests.jwks).toBeLessThanOrEqual(
      1 + Math.ceil((Date.now() - outageStarted) / MAX_AGE_MS),
    );

    issuer.failing = false;
    const recovered = Date.now();
    while (verifier.keysStatus() !== "loaded" && Date.now() - recovered < 10 * MAX_AGE_MS) await sleep(20);
    expect(verifier.keysStatus()).toBe("loaded");
  });

  it("accepts a rotated-in key once the refresh lands, even while unknown kids may not refetch", async () => {
    // A longer max age than the other tests', so a busy machine cannot let the refresh land before
    // the first check below.
    const maxAgeMs = 2000;
    const { issuer, verifier } = await setUp({ fetchCooldownMs: 60_000, jwksMaxAgeMs: maxAgeMs });
    await verifier.verify(await issuer.sign());
    await issuer.rotate({ retireOld: true });
    const token = await issuer.sign({ sub: "rotated" });
    // Within the cooldown the unknown kid does not trigger a refetch...
    expect(await authOutcome(verifier.verify(token))).toBe("invalid_header");
    // ...but the background refresh brings the new key within the max age.
    await msUntil(verifier, () => token, "accepted", 3 * maxAgeMs);
  }, 15_000);

  it("keeps cached tokens across a refresh that removes no key", async () => {
    const { issuer, verifier } = await setUp();
    const token = await issuer.sign();
    const first = await verifier.verify(token);
    await issuer.rotate(); // adds a key, removes none
    const jwksRequests = issuer.requests.jwks;
    await sleep(MAX_AGE_MS + 150);
    expect(issuer.requests.jwks).toBeGreaterThan(jwksRequests);
    expect(await verifier.verify(token)).toBe(first); // the very same frozen object: a cache hit
  });

  it("is not_loaded until the first token, and loads nothing in the background before", async () => {
    const { issuer, verifier } = await setUp();
    await sleep(MAX_AGE_MS + 50);
    expect(verifier.keysStatus()).toBe("not_loaded");
    expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 });
    await verifier.verify(await issuer.sign());
    expect(verifier.keysStatus()).toBe("loaded");
  });
});

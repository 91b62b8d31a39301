import { base64url } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { authOutcome, startTestIssuer, type TestIssuer } from "../testing";
import { createVerifiedTokenCache, withVerifiedTokenCache } from "./verified-token-cache";
import { createAccessTokenVerifier, type VerifiedAccessToken } from "./verifier";

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(() => issuer.close());
afterEach(() => {
  vi.useRealTimers();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const verified = (claims: { exp: number; nbf?: number }) => ({ claims });

describe("withVerifiedTokenCache", () => {
  it("serves a repeated token without verifying it again", async () => {
    const verify = vi.fn(async () => verified({ exp: nowSeconds() + 60 }));
    const cached = withVerifiedTokenCache(verify, { maxEntries: 10, keySetGeneration: () => 0 });
    const first = await cached("a");
    expect(await cached("a")).toBe(first);
    expect(verify).toHaveBeenCalledTimes(1);
    await cached("b");
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it("never caches a refusal", async () => {
    const verify = vi
      .fn<(token: string) => Promise<{ claims: { exp: number } }>>()
      .mockRejectedValueOnce(new Error("refused"))
      .mockResolvedValue(verified({ exp: nowSeconds() + 60 }));
    const cached = withVerifiedTokenCache(verify, { maxEntries: 10, keySetGeneration: () => 0 });
    await expect(cached("a")).rejects.toThrow("refused");
    await expect(cached("a")).resolves.toBeTruthy();
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it("does not remember a token whose nbf is still in the future", async () => {
    const verify = vi.fn(async () => verified({ exp: nowSeconds() + 60, nbf: nowSeconds() + 3 }));
    const cached = withVerifiedTokenCache(verify, { maxEntries: 10, keySetGeneration: () => 0 });
    await cached("a");
    await cached("a");
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it("drops entries made before the key set was fetched again", async () => {
    let generation = 0;
    const verify = vi.fn(async () => verified({ exp: nowSeconds() + 60 }));
    const cached = withVerifiedTokenCache(verify, { maxEntries: 10, keySetGeneration: () => generation });
    await cached("a");
    await cached("a");
    generation += 1;
    await cached("a");
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it("is disabled by maxEntries 0", async () => {
    const verify = vi.fn(async () => verified({ exp: nowSeconds() + 60 }));
    const cached = withVerifiedTokenCache(verify, { maxEntries: 0, keySetGeneration: () => 0 });
    await cached("a");
    await cached("a");
    expect(verify).toHaveBeenCalledTimes(2);
  });
});

describe("createVerifiedTokenCache", () => {
  it("holds at most maxEntries, evicting the oldest first", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 3, keySetGeneration: () => 0 });
    for (const token of ["t1", "t2", "t3", "t4", "t5"]) {
      cache.set(token, verified({ exp: nowSeconds() + 60 }), 0);
    }
    expect(cache.size).toBe(3);
    expect(cache.get("t1")).toBeUndefined();
    expect(cache.get("t2")).toBeUndefined();
    expect(cache.get("t5")).toBeDefined();
  });

  it("serves only the exact token stored, not another with the same tail", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 10, keySetGeneration: () => 0 });
    const tail = "s".repeat(100);
    const stored = verified({ exp: nowSeconds() + 60 });
    cache.set(`header.alice.${tail}`, stored, 0);
    expect(cache.get(`header.mallory.${tail}`)).toBeUndefined();
    expect(cache.get(`header.alice.${tail}`)).toBe(stored);
    // Storing the other one (also verified) replaces the first rather than serving either for both.
    cache.set(`header.bob.${tail}`, verified({ exp: nowSeconds() + 60 }), 0);
    expect(cache.get(`header.alice.${tail}`)).toBeUndefined();
    expect(cache.get(`header.bob.${tail}`)).toBeDefined();
  });

  it("keeps the cap under a flood of distinct tokens", () => {
    const cache = createVerifiedTokenCache({ maxEntries: 100, keySetGeneration: () => 0 });
    for (let i = 0; i < 10_000; i += 1) cache.set(`t${i}`, verified({ exp: nowSeconds() + 60 }), 0);
    expect(cache.size).toBe(100);
  });
});

describe("the verifier with its token cache", () => {
  it("returns the same frozen result for a repeated token", async () => {
    const verifier = createAccessTokenVerifier(issuer.verifierConfig);
    const token = await issuer.sign();
    await verifier.verify(token); // the first verification also fetches the key set
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first);
    expect(Object.isFrozen(first.claims)).toBe(true);
    expect(() => {
      (first.claims as { sub?: string }).sub = "mallory";
    }).toThrow(TypeError);
  });

  it("does not serve a tampered copy of a cached token", async () => {
    const verifier = createAccessTokenVerifier(issuer.verifierConfig);
    const token = await issuer.sign({ sub: "alice" });
    await verifier.verify(token);
    await verifier.verify(token);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
    const forged = base64url.encode(JSON.stringify({ ...claims, sub: "mallory" }));
    expect(await authOutcome(verifier.verify(`${header}.${forged}.${signature}`))).toBe("invalid_header");
    expect(await authOutcome(verifier.verify(`${header}.${payload}.${signature.slice(0, -8)}`))).toBe(
      "invalid_header",
    );
  });

  it("refuses a cached token at the exact second it expires", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const exp = nowSeconds() + 60;
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, clockTolerance: 0 });
    const token = await issuer.sign({ exp });
    await verifier.verify(token);
    const cached = await verifier.verify(token);

    vi.setSystemTime(exp * 1000 - 1);
    expect(await verifier.verify(token)).toBe(cached);
    vi.setSystemTime(exp * 1000);
    expect(await authOutcome(verifier.verify(token))).toBe("token_expired");
  });

  it("extends no token beyond the verifier's own clock tolerance", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const exp = nowSeconds() + 60;
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, clockTolerance: 5 });
    const token = await issuer.sign({ exp });
    await verifier.verify(token);
    const cached = await verifier.verify(token);

    // Past exp but within the tolerance: full verification accepts it again, the cache no longer does.
    vi.setSystemTime(exp * 1000 + 4000);
    const reverified = await verifier.verify(token);
    expect(reverified).not.toBe(cached);
    expect(await verifier.verify(token)).not.toBe(reverified);
    vi.setSystemTime((exp + 5) * 1000);
    expect(await authOutcome(verifier.verify(token))).toBe("token_expired");
  });

  it("stops serving a cached token once the verifier learns its key was retired", async () => {
    const local = await startTestIssuer();
    const verifier = createAccessTokenVerifier({ ...local.verifierConfig, fetchCooldownMs: 0 });
    const oldToken = await local.sign();
    await verifier.verify(oldToken);
    expect(await authOutcome(verifier.verify(oldToken))).toBe("accepted");
    await local.rotate({ retireOld: true });
    // A token with the new kid makes the verifier fetch the key set again.
    expect(await authOutcome(verifier.verify(await local.sign()))).toBe("accepted");
    expect(await authOutcome(verifier.verify(oldToken))).toBe("invalid_header");
    await local.close();
  });

  it("is disabled by tokenCacheSize 0", async () => {
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, tokenCacheSize: 0 });
    const token = await issuer.sign();
    await verifier.verify(token); // fetches the key set, which would make an entry made now stale
    const first: VerifiedAccessToken = await verifier.verify(token);
    expect(await verifier.verify(token)).not.toBe(first);
  });
});

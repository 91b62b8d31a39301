import { afterEach, describe, expect, it, vi } from "vitest";
import { createExpiringCache, createIntrospectionCaches, tokenDigest } from "./introspection-cache";

afterEach(() => {
  vi.useRealTimers();
});

describe("tokenDigest", () => {
  it("is the token's SHA-256 in base64url, never the token", () => {
    const token = "an-opaque-token";
    expect(tokenDigest(token)).toBe("eT4PrTwCR18TUg8LwGHGgpXocE6il-G857-u7Zq-uKE");
    expect(tokenDigest(token)).not.toContain(token);
    expect(tokenDigest(`${token}x`)).not.toBe(tokenDigest(token));
  });
});

describe("createExpiringCache", () => {
  it("serves an entry strictly before its expiry, then drops it", () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 1_000_000 });
    const cache = createExpiringCache<string>(10);
    cache.set("a", "A", 1_000_500);
    expect(cache.get("a")).toBe("A");
    vi.setSystemTime(1_000_499);
    expect(cache.get("a")).toBe("A");
    vi.setSystemTime(1_000_500);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("stores nothing already expired, and nothing at all with 0 entries", () => {
    const cache = createExpiringCache<string>(10);
    cache.set("a", "A", Date.now() - 1);
    expect(cache.get("a")).toBeUndefined();
    const none = createExpiringCache<string>(0);
    none.set("a", "A", Date.now() + 60_000);
    expect(none.get("a")).toBeUndefined();
    expect(none.size).toBe(0);
  });

  it("holds at most maxEntries, evicting the oldest insertion first", () => {
    const cache = createExpiringCache<number>(3);
    const later = Date.now() + 60_000;
    for (const [index, key] of ["a", "b", "c", "d"].entries()) cache.set(key, index, later);
    expect(cache.size).toBe(3);
    expect(cache.get("a")).toBeUndefined();
    expect([cache.get("b"), cache.get("c"), cache.get("d")]).toEqual([1, 2, 3]);
    // Setting a key again moves it to the newest place.
    cache.set("b", 10, later);
    cache.set("e", 4, later);
    expect(cache.get("c")).toBeUndefined();
    expect(cache.get("b")).toBe(10);
  });
});

describe("createIntrospectionCaches", () => {
  it("keeps refusals apart: a flood of them never evicts an accepted answer", () => {
    const { accepted, refused } = createIntrospectionCaches(2);
    const later = Date.now() + 60_000;
    const verified = { claims: { iss: "i", aud: "a", exp: later / 1000 }, scopes: new Set<string>() };
    accepted.set("good", verified, later);
    for (let i = 0; i < 100; i += 1) refused.set(`bad-${i}`, new Error("refused") as never, later);
    expect(refused.size).toBe(2);
    expect(accepted.get("good")).toBe(verified);
  });
});

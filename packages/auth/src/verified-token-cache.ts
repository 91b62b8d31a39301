/**
 * A bounded in-memory cache of tokens the verifier already accepted, so a client that sends the
 * same access token on every request pays for one RSA signature check, not one per request.
 *
 * What it promises (each one tested in verified-token-cache.test.ts):
 * - Only a successful full verification is ever stored; a refusal is never cached.
 * - A hit is served only strictly before the token's `exp`, checked against `Date.now()` on every
 *   hit. At `exp` the entry is dropped and the token goes through full verification again, so the
 *   verifier alone decides (with its clock tolerance) — the cache never extends a token's life.
 * - A token whose `nbf` is still in the future is not stored (full verification runs each time).
 * - Entries are dropped once a key set arrives that lacks a key the previous one had (the
 *   generation changes), so a token signed with a key the issuer has since revoked or retired is
 *   refused as soon as the verifier itself would refuse it. There is no separate time cap: the verifier's key
 *   cache, not this one, decides how long a key is trusted.
 * - At most `maxEntries` entries; the oldest insertion is evicted first.
 *
 * The Map is keyed by the token's last {@link KEY_LENGTH} characters (part of its signature) and an
 * entry holds the whole token, compared in full on every hit. A lookup by the whole token would hash
 * each request's fresh (long) string again, most of what a hit costs; a SHA-256 would cost more
 * still. A different token that shares the tail is a miss (full verification),
 * never a hit. The verifier refuses tokens over 8 KiB before they could be stored.
 */

import type { AuthObserver } from "./auth-observer";

/** How much of the token's end keys the Map: enough to be unique among real signatures. */
const KEY_LENGTH = 64;
const keyOf = (token: string) => token.slice(-KEY_LENGTH);

/** What the cache reads from a verified token: its time claims, in seconds since the epoch. */
export interface TimeBoundToken {
  claims: { exp: number; nbf?: number | undefined };
}

export interface VerifiedTokenCacheOptions {
  /** 0 disables the cache. */
  maxEntries: number;
  /** Changes whenever a key set arrives without a key the previous one had; older entries are then stale. */
  keySetGeneration: () => number;
  /** Told of every lookup, hit or miss. */
  observer?: AuthObserver | undefined;
}

interface Entry<T> {
  token: string;
  verified: T;
  expiresAtMs: number;
  generation: number;
}

export interface VerifiedTokenCache<T extends TimeBoundToken> {
  /** The verified token, or undefined when absent, expired or made with an older key set. */
  get(token: string): T | undefined;
  /** Stores a token full verification accepted; `generation` is the key set's before verification began. */
  set(token: string, verified: T, generation: number): void;
  readonly size: number;
}

export function createVerifiedTokenCache<T extends TimeBoundToken>(
  options: VerifiedTokenCacheOptions,
): VerifiedTokenCache<T> {
  const entries = new Map<string, Entry<T>>();

  return {
    get(token) {
      const key = keyOf(token);
      const entry = entries.get(key);
      if (entry === undefined || entry.token !== token) return undefined;
      if (Date.now() >= entry.expiresAtMs || entry.generation !== options.keySetGeneration()) {
        entries.delete(key);
        return undefined;
      }
      return entry.verified;
    },
    set(token, verified, generation) {
      if (options.maxEntries <= 0) return;
      const now = Date.now();
      const { exp, nbf } = verified.claims;
      const expiresAtMs = exp * 1000;
      // Within the clock tolerance the verifier accepts a token just past exp or just before nbf;
      // such a token is re-verified on each request rather than remembered as valid.
      if (now >= expiresAtMs || (nbf !== undefined && nbf * 1000 > now)) return;
      const key = keyOf(token);
      // Also replaces an entry for another token with the same tail: both were verified.
      entries.delete(key);
      while (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(key, { token, verified, expiresAtMs, generation });
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * Wraps a full verification function with the cache. The value is shared by every request that
 * sends the same token, so its claims are frozen to keep one request from changing another's.
 *
 * @example
 * const verify = withVerifiedTokenCache(verifyFully, { maxEntries: 10_000, keySetGeneration: () => keySet.version });
 */
export function withVerifiedTokenCache<T extends TimeBoundToken>(
  verify: (token: string) => Promise<T>,
  options: VerifiedTokenCacheOptions,
): (token: string) => Promise<T> {
  if (options.maxEntries <= 0) return verify;
  const cache = createVerifiedTokenCache<T>(options);
  const size = () => cache.size;
  return async (token) => {
    const hit = cache.get(token);
    options.observer?.onTokenCache?.(hit !== undefined, size);
    if (hit !== undefined) return hit;
    // Read before verifying: a key-set refetch that lands mid-verification makes this entry stale.
    const generation = options.keySetGeneration();
    const verified = deepFreeze(await verify(token));
    cache.set(token, verified, generation);
    return verified;
  };
}

/** Freezes a verified token shared by several requests (its scope Set excepted, which is read-only by type). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value) && !(value instanceof Set)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

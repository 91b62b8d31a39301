import { createHash } from "node:crypto";
import type { AuthError } from "./errors";
import type { VerifiedAccessToken } from "./verifier";

/**
 * The key of a token in the introspection caches: its SHA-256, so that the token itself is never
 * kept after its request ends (an opaque token is a bearer credential, and has no signature to
 * hold on to instead).
 */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** A bounded map whose entries expire; the oldest insertion is evicted first when full. */
export interface ExpiringCache<T> {
  /** The value, or undefined when absent or past its expiry (then dropped). */
  get(key: string): T | undefined;
  /** Stores `value` until `expiresAtMs` (`Date.now()` time); an expiry already past stores nothing. */
  set(key: string, value: T, expiresAtMs: number): void;
  readonly size: number;
}

/**
 * Makes an {@link ExpiringCache} of at most `maxEntries` entries (0 keeps nothing).
 *
 * @example
 * const answers = createExpiringCache<VerifiedAccessToken>(10_000);
 * answers.set(tokenDigest(token), verified, verified.claims.exp * 1000);
 */
export function createExpiringCache<T>(maxEntries: number): ExpiringCache<T> {
  const entries = new Map<string, { value: T; expiresAtMs: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (Date.now() >= entry.expiresAtMs) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value, expiresAtMs) {
      if (maxEntries <= 0 || Date.now() >= expiresAtMs) return;
      entries.delete(key);
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(key, { value, expiresAtMs });
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * The introspector's two caches, each of `maxEntries`: accepted answers (until `exp`) and refusals
 * (briefly). Apart, so that a flood of random tokens, each refused, never evicts an accepted one.
 */
export function createIntrospectionCaches(maxEntries: number): {
  accepted: ExpiringCache<VerifiedAccessToken>;
  refused: ExpiringCache<AuthError>;
} {
  return { accepted: createExpiringCache(maxEntries), refused: createExpiringCache(maxEntries) };
}

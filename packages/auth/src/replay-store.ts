import { createHash } from "node:crypto";

/**
 * Where the API remembers the `jti` of every DPoP proof it accepted, until the proof's `iat` window
 * ends (after which the proof is refused for its age anyway). One process can keep them in memory;
 * several replicas behind a load balancer must share them ({@link createRedisReplayStore}).
 */
export interface ReplayStore {
  /**
   * Records `id` until `untilMs` (epoch milliseconds) and tells whether it was already recorded.
   * Atomic: of two concurrent calls with the same id, exactly one resolves `false`.
   * Rejects when the store cannot answer; the caller must then refuse the proof.
   */
  seen(id: string, untilMs: number): Promise<boolean>;
  /** Releases connections; the store is unusable after. */
  close(): Promise<void>;
}

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /**
   * At most this many ids are remembered. When full, a new proof is refused rather than forgetting
   * an id still in its window (which would let that proof be replayed). Default 250 000: a 60 s
   * window then holds about 4 000 proofs a second.
   */
  maxEntries?: number;
}

/**
 * A replay store for a single process: a Map from id to expiry. Ids arrive in about the order they
 * expire (every proof gets the same window), so expired ones are dropped from the front on each call.
 *
 * @example
 * const store = createMemoryReplayStore();
 * await store.seen("jti-1", Date.now() + 60_000); // => false
 * await store.seen("jti-1", Date.now() + 60_000); // => true
 */
export function createMemoryReplayStore({
  maxEntries = 250_000,
}: MemoryReplayStoreOptions = {}): ReplayStore {
  const expiries = new Map<string, number>();

  function dropExpired(now: number) {
    for (const [id, until] of expiries) {
      if (until > now) break;
      expiries.delete(id);
    }
  }

  return {
    async seen(id, untilMs) {
      const now = Date.now();
      dropExpired(now);
      // A 128-bit digest as the key: a short flat string, much smaller than the id it stands for.
      const key = createHash("sha256").update(id).digest("base64url").slice(0, 22);
      const until = expiries.get(key);
      if (until !== undefined && until > now) return true;
      if (expiries.size >= maxEntries) throw new Error("the in-memory DPoP replay store is full");
      expiries.set(key, untilMs);
      return false;
    },
    async close() {
      expiries.clear();
    },
  };
}

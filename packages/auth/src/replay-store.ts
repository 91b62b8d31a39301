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
   * `owner` (the proof key's thumbprint) is whose share the id counts against, where the store
   * bounds one: past it, rejects with {@link ReplayShareExceeded}.
   * Rejects when the store cannot answer; the caller must then refuse the proof.
   */
  seen(id: string, untilMs: number, owner?: string): Promise<boolean>;
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
  /**
   * At most this many of them from one owner (one DPoP key), so that one client cannot fill the store
   * and leave every other one with 503s. Default a quarter of `maxEntries`: with a 60 s window, one
   * key may send about 1 000 proofs a second.
   */
  maxEntriesPerOwner?: number;
}

/** The owner already holds its share of the store: its next proofs are refused until older ones expire. */
export class ReplayShareExceeded extends Error {
  override name = "ReplayShareExceeded";
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
  maxEntriesPerOwner = Math.ceil(maxEntries / 4),
}: MemoryReplayStoreOptions = {}): ReplayStore {
  const expiries = new Map<string, number>();
  // Each owner's expiry times, in about the order they end: its live entries are the ones not yet due.
  const owners = new Map<string, number[]>();

  function dropExpired(now: number) {
    for (const [id, until] of expiries) {
      if (until > now) break;
      expiries.delete(id);
    }
  }
  /** The live entries of `owner`, after dropping its expired ones from the front. */
  function liveEntriesOf(owner: string, now: number): number[] {
    const untils = owners.get(owner) ?? [];
    let expired = 0;
    while (expired < untils.length && (untils[expired] as number) <= now) expired += 1;
    if (expired > 0) untils.splice(0, expired);
    if (untils.length === 0) owners.delete(owner);
    return untils;
  }

  return {
    async seen(id, untilMs, owner) {
      const now = Date.now();
      dropExpired(now);
      // A 128-bit digest as the key: a short flat string, much smaller than the id it stands for.
      const key = createHash("sha256").update(id).digest("base64url").slice(0, 22);
      const until = expiries.get(key);
      if (until !== undefined && until > now) return true;
      if (expiries.size >= maxEntries) throw new Error("the in-memory DPoP replay store is full");
      if (owner !== undefined) {
        const untils = liveEntriesOf(owner, now);
        if (untils.length >= maxEntriesPerOwner) throw new ReplayShareExceeded("this key holds its share");
        untils.push(untilMs);
        owners.set(owner, untils);
      }
      expiries.set(key, untilMs);
      return false;
    },
    async close() {
      expiries.clear();
      owners.clear();
    },
  };
}

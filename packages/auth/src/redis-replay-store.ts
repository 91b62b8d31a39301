import { createClient } from "@redis/client";
import type { AuthLogger } from "./key-set";
import type { ReplayStore } from "./replay-store";

/** Options of {@link createRedisReplayStore}. */
export interface RedisReplayStoreOptions {
  /** `redis://[[user]:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Prepended to every id, so the store can share a Redis with other data. Default `dpop:jti:`. */
  keyPrefix?: string;
  /** How long one `SET` may take before the proof is refused as unverifiable. Default 1000 ms. */
  commandTimeoutMs?: number;
  logger?: AuthLogger;
}

/**
 * A replay store shared by every replica: one `SET id 1 NX PX <ms>` per proof, which Redis runs
 * atomically, so a proof replayed against another replica is refused too. Connects before it
 * resolves, so a wrong `REDIS_URL` fails at start-up rather than on the first request.
 *
 * While Redis is unreachable, `seen` rejects at once (no offline queue) and the client reconnects in
 * the background.
 *
 * It does not bound one owner's share (the `owner` argument is ignored): every entry expires on its
 * own after the proof window, and Redis's memory is bounded by its `maxmemory`, not by a count of
 * ids, so one client does not fill it the way it could fill a count-bounded store. Size `maxmemory`
 * for the proofs a window may hold (about 100 bytes each) and keep `maxmemory-policy noeviction`,
 * so Redis refuses a write (a 503 here) rather than forgetting a live id.
 *
 * @example
 * const store = await createRedisReplayStore({ url: "redis://127.0.0.1:6379" });
 * await store.seen("jti-1", Date.now() + 60_000); // => false, on any replica
 */
export async function createRedisReplayStore({
  url,
  keyPrefix = "dpop:jti:",
  commandTimeoutMs = 1000,
  logger,
}: RedisReplayStoreOptions): Promise<ReplayStore> {
  let connectedOnce = false;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      // The first connection fails at once (a wrong URL is a start-up error); later ones are retried.
      reconnectStrategy: (retries, cause) => (connectedOnce ? Math.min(100 * 2 ** retries, 2000) : cause),
    },
  });
  // Without a listener an emitted error would crash the process; one line, never the URL (it may hold a password).
  let lastError = "";
  client.on("error", (error: Error) => {
    if (error.message !== lastError)
      logger?.warn({ reason: error.message }, "DPoP replay store (Redis) error");
    lastError = error.message;
  });
  client.on("ready", () => {
    connectedOnce = true;
    lastError = "";
  });
  try {
    await client.connect();
  } catch (cause) {
    client.destroy();
    throw new Error(`REDIS_URL: cannot connect to Redis (${(cause as Error).message})`, { cause });
  }

  return {
    async seen(id, untilMs) {
      const reply = await client
        .withAbortSignal(AbortSignal.timeout(commandTimeoutMs))
        .set(`${keyPrefix}${id}`, "1", {
          condition: "NX",
          expiration: { type: "PX", value: Math.max(1, Math.ceil(untilMs - Date.now())) },
        });
      // NX: "OK" when the key was created, null when it already existed.
      return reply === null;
    },
    async close() {
      // close() waits for pending replies, which never come while Redis is down.
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    },
  };
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisReplayStore } from "../src/redis-replay-store";
import { startTestRedis, type TestRedis } from "../testing/redis-server";

let redis: TestRedis;

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis.stop());

describe("createRedisReplayStore (real redis-server)", () => {
  it("shares seen ids between two stores, as between two replicas", async () => {
    const [first, second] = await Promise.all([
      createRedisReplayStore({ url: redis.url }),
      createRedisReplayStore({ url: redis.url }),
    ]);
    try {
      const until = Date.now() + 60_000;
      expect(await first.seen("shared", until)).toBe(false);
      expect(await second.seen("shared", until)).toBe(true);
      expect(await first.seen("shared", until)).toBe(true);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("is atomic: of many concurrent calls with one id on two connections, exactly one is first", async () => {
    const stores = await Promise.all([
      createRedisReplayStore({ url: redis.url }),
      createRedisReplayStore({ url: redis.url }),
    ]);
    try {
      const until = Date.now() + 60_000;
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (stores[i % 2] ?? stores[0]).seen("race", until)),
      );
      expect(answers.filter((seen) => !seen)).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("lets Redis expire an id at the end of its window (PX)", async () => {
    const store = await createRedisReplayStore({ url: redis.url });
    try {
      expect(await store.seen("short", Date.now() + 150)).toBe(false);
      expect(await store.seen("short", Date.now() + 150)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await store.seen("short", Date.now() + 150)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it("fails at once with a line naming REDIS_URL when nothing listens there", async () => {
    const stopped = await startTestRedis();
    await stopped.stop();
    await expect(createRedisReplayStore({ url: stopped.url })).rejects.toThrow(
      /^REDIS_URL: cannot connect to Redis \(connect ECONNREFUSED/,
    );
  });

  it("rejects at once (so the proof is refused) while Redis is down", async () => {
    const own = await startTestRedis();
    const store = await createRedisReplayStore({ url: own.url });
    try {
      expect(await store.seen("before", Date.now() + 60_000)).toBe(false);
      await own.stop();
      await expect(store.seen("during", Date.now() + 60_000)).rejects.toThrow();
    } finally {
      await store.close();
    }
  });
});

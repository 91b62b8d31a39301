import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryReplayStore, ReplayShareExceeded } from "./replay-store";

afterEach(() => {
  vi.useRealTimers();
});

describe("createMemoryReplayStore", () => {
  it("tells a new id from one already seen", async () => {
    const store = createMemoryReplayStore();
    const until = Date.now() + 60_000;
    expect(await store.seen("a", until)).toBe(false);
    expect(await store.seen("a", until)).toBe(true);
    expect(await store.seen("b", until)).toBe(false);
  });

  it("forgets an id at the end of its window (frozen clock)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const store = createMemoryReplayStore();
    await store.seen("a", Date.now() + 1000);
    vi.setSystemTime(Date.now() + 999);
    expect(await store.seen("a", Date.now() + 1000)).toBe(true);
    vi.setSystemTime(Date.now() + 1001);
    expect(await store.seen("a", Date.now() + 1000)).toBe(false);
  });

  it("when full of live ids, refuses to record more rather than forget one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const store = createMemoryReplayStore({ maxEntries: 2 });
    await store.seen("a", Date.now() + 1000);
    await store.seen("b", Date.now() + 1000);
    await expect(store.seen("c", Date.now() + 1000)).rejects.toThrow("full");
    expect(await store.seen("a", Date.now() + 1000)).toBe(true);
    // Once the window ends the expired ids make room.
    vi.setSystemTime(Date.now() + 1001);
    expect(await store.seen("c", Date.now() + 1000)).toBe(false);
  });
});

describe("one owner's share of the in-memory store", () => {
  it("refuses an owner past its share, while other owners keep recording", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const store = createMemoryReplayStore({ maxEntries: 10, maxEntriesPerOwner: 3 });
    const until = () => Date.now() + 1000;
    for (const jti of ["1", "2", "3"]) expect(await store.seen(`k1:${jti}`, until(), "k1")).toBe(false);
    await expect(store.seen("k1:4", until(), "k1")).rejects.toThrow(ReplayShareExceeded);
    expect(await store.seen("k2:1", until(), "k2")).toBe(false);
    // A replay is still told as one, and its share frees up once its proofs' windows end.
    expect(await store.seen("k1:1", until(), "k1")).toBe(true);
    vi.setSystemTime(Date.now() + 1001);
    expect(await store.seen("k1:4", until(), "k1")).toBe(false);
  });

  it("gives each owner a quarter of the store by default", async () => {
    const store = createMemoryReplayStore({ maxEntries: 8 });
    const until = Date.now() + 60_000;
    for (const jti of ["1", "2"]) await store.seen(`k1:${jti}`, until, "k1");
    await expect(store.seen("k1:3", until, "k1")).rejects.toThrow(ReplayShareExceeded);
  });
});

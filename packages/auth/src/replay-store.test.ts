import { afterEach, describe, expect, it, vi } from "vitest";
import { createMemoryReplayStore } from "./replay-store";

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

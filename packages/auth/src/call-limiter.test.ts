import { afterEach, describe, expect, it, vi } from "vitest";
import { type CallPermit, createCallLimiter } from "./call-limiter";

afterEach(() => {
  vi.useRealTimers();
});

const granted = (permit: CallPermit) => {
  if (!permit.granted) throw new Error(`refused: ${permit.reason}`);
  return permit;
};

describe("createCallLimiter", () => {
  it("grants at most maxConcurrent permits at once, and one more once one is released", () => {
    const limiter = createCallLimiter({ maxConcurrent: 2, maxPerSecond: 100 });
    const first = granted(limiter.tryAcquire());
    granted(limiter.tryAcquire());
    expect(limiter.tryAcquire()).toEqual({ granted: false, reason: "2 calls in flight (at most 2)" });
    first.release();
    first.release(); // twice counts once
    expect(limiter.inFlight).toBe(1);
    granted(limiter.tryAcquire());
    expect(limiter.tryAcquire().granted).toBe(false);
  });

  it("grants at most maxPerSecond permits per second, refilled as time passes", () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const limiter = createCallLimiter({ maxConcurrent: 100, maxPerSecond: 5 });
    for (let i = 0; i < 5; i += 1) granted(limiter.tryAcquire()).release();
    expect(limiter.tryAcquire()).toEqual({ granted: false, reason: "more than 5 calls per second" });
    vi.advanceTimersByTime(199); // 0.995 of a permit refilled: not yet
    expect(limiter.tryAcquire().granted).toBe(false);
    vi.advanceTimersByTime(1); // one permit refilled
    granted(limiter.tryAcquire()).release();
    expect(limiter.tryAcquire().granted).toBe(false);
    vi.advanceTimersByTime(10_000); // long idle: the bucket holds at most one second's worth
    for (let i = 0; i < 5; i += 1) granted(limiter.tryAcquire()).release();
    expect(limiter.tryAcquire().granted).toBe(false);
  });

  it("is not stopped by the wall clock going back", () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const limiter = createCallLimiter({ maxConcurrent: 100, maxPerSecond: 5 });
    granted(limiter.tryAcquire()).release();
    vi.setSystemTime(Date.now() - 2 * 60 * 60 * 1000);
    granted(limiter.tryAcquire()).release();
  });

  it("a refused request takes no permit", () => {
    const limiter = createCallLimiter({ maxConcurrent: 1, maxPerSecond: 2 });
    const held = granted(limiter.tryAcquire());
    for (let i = 0; i < 10; i += 1) expect(limiter.tryAcquire().granted).toBe(false);
    held.release();
    granted(limiter.tryAcquire());
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FailureLimiter, LoginLimiter } from "./login-limiter";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2025-01-01T00:00:00Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("FailureLimiter", () => {
  it("refuses a key after `limit` failures until its window ends", () => {
    const limiter = new FailureLimiter({ limit: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.check("k").allowed).toBe(true);
      limiter.recordFailure("k");
    }
    expect(limiter.check("k")).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(limiter.check("other").allowed).toBe(true);

    vi.setSystemTime(new Date("2025-01-01T00:00:45Z"));
    expect(limiter.check("k")).toEqual({ allowed: false, retryAfterSeconds: 15 });

    vi.setSystemTime(new Date("2025-01-01T00:01:00Z"));
    expect(limiter.check("k").allowed).toBe(true);
  });

  it("forgets a key on reset", () => {
    const limiter = new FailureLimiter({ limit: 1, windowMs: 60_000 });
    limiter.recordFailure("k");
    expect(limiter.check("k").allowed).toBe(false);
    limiter.reset("k");
    expect(limiter.check("k").allowed).toBe(true);
  });
});

describe("LoginLimiter", () => {
  it("limits a username whatever its case, across addresses", () => {
    const limiter = new LoginLimiter({ perUsername: 2, perIp: 100 });
    limiter.recordFailure("Alice", "10.0.0.1");
    limiter.recordFailure("alice ", "10.0.0.2");
    expect(limiter.check("alice", "10.0.0.3").allowed).toBe(false);
    expect(limiter.check("bob", "10.0.0.3").allowed).toBe(true);
  });

  it("limits an address across usernames", () => {
    const limiter = new LoginLimiter({ perUsername: 100, perIp: 2 });
    limiter.recordFailure("a", "10.0.0.1");
    limiter.recordFailure("b", "10.0.0.1");
    expect(limiter.check("c", "10.0.0.1").allowed).toBe(false);
    expect(limiter.check("c", "10.0.0.2").allowed).toBe(true);
  });

  it("a successful sign-in clears the username's failures", () => {
    const limiter = new LoginLimiter({ perUsername: 2 });
    limiter.recordFailure("alice", "ip");
    limiter.recordSuccess("alice");
    limiter.recordFailure("alice", "ip");
    expect(limiter.check("alice", "ip").allowed).toBe(true);
  });
});

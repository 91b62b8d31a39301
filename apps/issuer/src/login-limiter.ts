/** Outcome of {@link FailureLimiter.check}. */
export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts failures per key (a username, an IP address) in fixed windows and refuses a key once it
 * reaches `limit` failures, until its window ends. In memory: enough for one development process.
 */
export class FailureLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, { startedAt: number; failures: number }>();

  constructor({ limit, windowMs }: { limit: number; windowMs: number }) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Whether `key` may try again now. */
  check(key: string): LimitDecision {
    const window = this.#current(key);
    if (!window || window.failures < this.#limit) return { allowed: true };
    const retryAfterMs = window.startedAt + this.#windowMs - Date.now();
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
  }

  /** Counts one failure for `key`. */
  recordFailure(key: string): void {
    this.#sweep();
    const window = this.#current(key);
    if (window) window.failures += 1;
    else this.#windows.set(key, { startedAt: Date.now(), failures: 1 });
  }

  /** Forgets `key`'s failures (after a successful sign-in). */
  reset(key: string): void {
    this.#windows.delete(key);
  }

  #current(key: string) {
    const window = this.#windows.get(key);
    if (window && Date.now() - window.startedAt < this.#windowMs) return window;
    return undefined;
  }

  // Drop finished windows now and then, so the map cannot grow without bound.
  #sweep() {
    if (this.#windows.size < 1000) return;
    for (const [key, window] of this.#windows) {
      if (Date.now() - window.startedAt >= this.#windowMs) this.#windows.delete(key);
    }
  }
}

/**
 * The login page's limits: 5 failed attempts per username and 20 per IP address per minute.
 * A username is limited on its own so a guesser cannot hide behind many addresses.
 */
export class LoginLimiter {
  readonly #perUsername: FailureLimiter;
  readonly #perIp: FailureLimiter;

  constructor({ perUsername = 5, perIp = 20, windowMs = 60_000 } = {}) {
    this.#perUsername = new FailureLimiter({ limit: perUsername, windowMs });
    this.#perIp = new FailureLimiter({ limit: perIp, windowMs });
  }

  /** Whether a sign-in attempt for `username` from `ip` may be checked at all. */
  check(username: string, ip: string): LimitDecision {
    const byUser = this.#perUsername.check(normalize(username));
    return byUser.allowed ? this.#perIp.check(ip) : byUser;
  }

  recordFailure(username: string, ip: string): void {
    this.#perUsername.recordFailure(normalize(username));
    this.#perIp.recordFailure(ip);
  }

  recordSuccess(username: string): void {
    this.#perUsername.reset(normalize(username));
  }
}

function normalize(username: string) {
  return username.trim().toLowerCase();
}

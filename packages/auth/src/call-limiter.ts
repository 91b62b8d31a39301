/** A slot to call the issuer, or why none was given. */
export type CallPermit = { granted: true; release: () => void } | { granted: false; reason: string };

export interface CallLimiter {
  /** A permit for one call now, never a wait: the caller refuses its request when none is granted. */
  tryAcquire(): CallPermit;
  /** Calls holding a permit right now. */
  readonly inFlight: number;
}

export interface CallLimits {
  /** Calls that may be in flight at once. */
  maxConcurrent: number;
  /** Calls that may start in one second, on average (a token bucket of that size, refilled continuously). */
  maxPerSecond: number;
}

/**
 * Caps the calls an API makes to its issuer on behalf of requests, so that requests carrying
 * random tokens cannot turn the API into an amplifier against the issuer: past a cap the request
 * is refused and no call is made.
 *
 * @example
 * const limiter = createCallLimiter({ maxConcurrent: 10, maxPerSecond: 20 });
 * const permit = limiter.tryAcquire();
 * if (!permit.granted) throw new IntrospectionUnavailable(1, { detail: permit.reason });
 * try { await fetch(endpoint) } finally { permit.release() }
 */
export function createCallLimiter({ maxConcurrent, maxPerSecond }: CallLimits): CallLimiter {
  let inFlight = 0;
  let tokens = maxPerSecond;
  // A monotonic clock: a wall clock set back must not stop every call until it catches up.
  let refilledAt = performance.now();

  return {
    tryAcquire() {
      if (inFlight >= maxConcurrent) {
        return { granted: false, reason: `${inFlight} calls in flight (at most ${maxConcurrent})` };
      }
      const now = performance.now();
      tokens = Math.min(maxPerSecond, tokens + ((now - refilledAt) * maxPerSecond) / 1000);
      refilledAt = now;
      if (tokens < 1) return { granted: false, reason: `more than ${maxPerSecond} calls per second` };
      tokens -= 1;
      inFlight += 1;
      let released = false;
      return {
        granted: true,
        release() {
          if (released) return;
          released = true;
          inFlight -= 1;
        },
      };
    },
    get inFlight() {
      return inFlight;
    },
  };
}

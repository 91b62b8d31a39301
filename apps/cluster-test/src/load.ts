import autocannon from "autocannon";

export interface LoadResult extends autocannon.Result {
  /** Socket errors (resets, timeouts) before `stop()`, with when they happened: stopping destroys the requests in flight. */
  socketErrors: string[];
}

export interface Load {
  /** Resolves when the load ends (its duration or amount is reached, or `stop()`). */
  result: Promise<LoadResult>;
  stop(): void;
}

/** Starts autocannon against `options.url`; `stop()` ends it early (for "until the restarts are done"). */
export function startLoad(options: autocannon.Options): Load {
  const socketErrors: string[] = [];
  const startedAt = performance.now();
  let stopped = false;
  let instance: autocannon.Instance | undefined;
  const result = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(options, (error, outcome) =>
      error ? reject(error) : resolve({ ...outcome, socketErrors }),
    );
    instance.on("reqError", (error: Error) => {
      const at = ((performance.now() - startedAt) / 1000).toFixed(1);
      if (!stopped) socketErrors.push(`${error.message} at ${at} s`);
    });
  });
  return {
    result,
    stop() {
      stopped = true;
      instance?.stop();
    },
  };
}

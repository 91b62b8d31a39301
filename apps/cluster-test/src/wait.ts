import { setTimeout as sleep } from "node:timers/promises";

/** Polls `url` until it answers `status`; fails early if `abandonIf` says the server has exited. */
export async function waitForStatus(
  url: string,
  status: number,
  options: {
    timeoutMs: number;
    abandonIf?: () => unknown;
    describe?: () => Promise<string> | string;
  },
): Promise<void> {
  const started = performance.now();
  let last = "no answer";
  while (performance.now() - started < options.timeoutMs) {
    const exited = options.abandonIf?.();
    if (exited !== undefined) {
      throw new Error(`${url}: the server exited (${String(exited)}). ${await options.describe?.()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === status) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(50);
  }
  throw new Error(
    `${url} did not answer ${status} within ${options.timeoutMs} ms (last: ${last}). ${(await options.describe?.()) ?? ""}`,
  );
}

/** How long until `check()` is true, polled every 100 ms, or undefined if not within `timeoutMs`. */
export async function timeUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await sleep(100);
  }
  return undefined;
}

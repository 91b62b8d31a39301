import { connect } from "node:net";

/** Whether something accepts TCP connections on `port` at 127.0.0.1 or ::1. */
export async function isPortInUse(port: number): Promise<boolean> {
  const probes = ["127.0.0.1", "::1"].map(
    (host) =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ port, host });
        socket.setTimeout(500);
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("timeout", () => {
          socket.destroy();
          resolve(false);
        });
        socket.once("error", () => resolve(false));
      }),
  );
  return (await Promise.all(probes)).some(Boolean);
}

/**
 * Polls `url` every `intervalMs` until it answers with a status below 500 (true), or until `timeoutMs`
 * passes (false). `abandon` resolving (e.g. the process exited) stops the wait early (false).
 */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  abandon?: Promise<unknown>,
  intervalMs = 250,
): Promise<boolean> {
  let abandoned = false;
  void abandon?.then(() => {
    abandoned = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !abandoned) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status < 500) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}

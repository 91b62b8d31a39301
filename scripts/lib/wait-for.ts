import { createServer } from "node:net";

/**
 * Whether `port` cannot be listened on at 127.0.0.1 or ::1 right now (someone listens there, or
 * holds it), found by listening and closing at once: a connection probe misses a port that is
 * bound but not yet accepting.
 */
export async function isPortInUse(port: number): Promise<boolean> {
  const probes = ["127.0.0.1", "::1"].map(
    (host) =>
      new Promise<boolean>((resolve) => {
        const server = createServer();
        server.once("error", (error: NodeJS.ErrnoException) =>
          // No IPv6 on this machine: nothing can listen on ::1 either.
          resolve(error.code !== "EADDRNOTAVAIL" && error.code !== "EAFNOSUPPORT"),
        );
        server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
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

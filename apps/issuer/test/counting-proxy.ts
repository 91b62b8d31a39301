import { createServer, request as forward } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A reverse proxy on 127.0.0.1 in front of `target` that counts the requests reaching it by path,
 * and the most in flight at once: how a test sees exactly what the API asked the issuer.
 */
export async function startCountingProxy(target: string) {
  const counts = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const done = () => {
      inFlight -= 1;
    };
    const outgoing = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res).once("finish", done);
      },
    );
    outgoing.once("error", () => {
      done();
      res.writeHead(502).end();
    });
    req.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    /** Requests that reached `path` so far. */
    count: (path: string) => counts.get(path) ?? 0,
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A pass-through in front of the issuer's JWKS that counts every request the API sends to it. */
export interface JwksCounter {
  /** Give this to the API as AUTH_JWKS_URI. */
  url: string;
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * Counting at the network, between the API and the issuer, is the honest way to show the API
 * does not fetch keys per request: it needs no log level, no hook in the API, and it works the
 * same for both issuers.
 */
export async function startJwksCounter(upstreamJwksUri: string): Promise<JwksCounter> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    fetch(upstreamJwksUri)
      .then(async (upstream) => {
        const body = Buffer.from(await upstream.arrayBuffer());
        res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "" });
        res.end(req.method === "HEAD" ? undefined : body);
      })
      .catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

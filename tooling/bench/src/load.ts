import { createHistogram } from "node:perf_hooks";
import autocannon from "autocannon";
import { generateProof, type KeyPair } from "dpop";
import type { Bench, HttpRow } from "./bench";
import type { Server } from "./servers";

/** One row loaded once: the requests it answered, and what the server spent on them. */
export interface Round {
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers while measuring, plus connection errors and timeouts over the whole load. */
  errors: number;
  cpuMicrosPerRequest: number;
  jwksFetches: number;
  peakRssMb: number;
}

/** A row ready to load: its URL, headers and body, and for a DPoP row what each proof is for. */
export function prepare(row: HttpRow, bench: Bench, server: Server) {
  const { authorization, dpopKey } = row.auth?.(bench) ?? {};
  const path = typeof row.path === "string" ? row.path : row.path(bench);
  const headers = { ...row.headers, ...(authorization && { authorization }) };
  const dpop = dpopKey && { key: dpopKey, accessToken: authorization?.split(" ")[1] ?? "" };
  return { row, server, url: server.url + path, method: row.method ?? "GET", headers, body: row.body, dpop };
}
export type Loadable = ReturnType<typeof prepare>;

/**
 * `count` proofs for the request, each with its own `jti` and the current `iat`: the API refuses a
 * proof it has seen, so a load needs one per request.
 */
export function getProofs(request: Loadable, count: number): Promise<string[]> {
  const { key, accessToken } = request.dpop as { key: KeyPair; accessToken: string };
  const proof = () => generateProof(key, request.url, request.method, undefined, accessToken);
  return Promise.all(Array.from({ length: count }, proof));
}

/**
 * Loads the request with autocannon for `warmSeconds + seconds` and measures only the last
 * `seconds`: the server's CPU time, and `jwksFetches()`, are read when they begin and when the load
 * stops. A DPoP row's proofs are made before, `proofs` of them (a proof sent twice counts as an error).
 */
export async function loadRound(
  request: Loadable,
  options: {
    connections: number;
    warmSeconds: number;
    seconds: number;
    proofs: number;
    jwksFetches(): number;
  },
): Promise<Round> {
  const { server } = request;
  const proofs = request.dpop && (await getProofs(request, options.proofs));
  // autocannon's own histogram keeps whole milliseconds; this one keeps microseconds.
  const latencyMicros = createHistogram();
  let [measuring, requests, errors, startedAt, cpuAtStart, jwksAtStart, nextProof] = [
    false,
    0,
    0,
    0,
    0,
    0,
    0,
  ];
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: request.url,
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined && { body: request.body }),
        connections: options.connections,
        duration: options.warmSeconds + options.seconds,
        // autocannon calls setupRequest for every request it sends, so each one takes the next proof.
        ...(proofs && {
          requests: [
            {
              setupRequest(sent) {
                sent.headers = { ...sent.headers, dpop: proofs[nextProof++ % proofs.length] ?? "" };
                return sent;
              },
            },
          ],
        }),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  instance?.on("response", (_client, statusCode, _bytes, responseTime) => {
    if (!measuring) return;
    requests += 1;
    if (statusCode < 200 || statusCode > 299) errors += 1;
    latencyMicros.record(Math.max(1, Math.round(responseTime * 1000)));
  });
  const timer = setTimeout(() => {
    [measuring, startedAt] = [true, performance.now()];
    [cpuAtStart, jwksAtStart] = [server.cpuSeconds(), options.jwksFetches()];
  }, options.warmSeconds * 1000);
  const result = await done;
  const [cpuAtEnd, jwksAtEnd] = [server.cpuSeconds(), options.jwksFetches()];
  clearTimeout(timer);
  return {
    requests,
    seconds: (performance.now() - startedAt) / 1000,
    p50Ms: latencyMicros.percentile(50) / 1000,
    p99Ms: latencyMicros.percentile(99) / 1000,
    errors: errors + result.errors,
    cpuMicrosPerRequest: ((cpuAtEnd - cpuAtStart) * 1e6) / Math.max(1, requests),
    jwksFetches: jwksAtEnd - jwksAtStart,
    peakRssMb: server.peakRssMb(),
  };
}

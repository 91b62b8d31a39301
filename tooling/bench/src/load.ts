import { createHistogram } from "node:perf_hooks";
import autocannon from "autocannon";

export interface Window {
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers while measuring, plus connection errors and timeouts over the whole load. */
  errors: number;
}

/**
 * Loads `url` with autocannon for `warmSeconds + seconds` and measures only the last `seconds`:
 * `onMeasuring` runs when they begin and `onDone` when the load stops, so the caller can read the
 * server's CPU time over exactly the measured part.
 */
export async function loadWindow(options: {
  url: string;
  headers: Record<string, string>;
  connections: number;
  warmSeconds: number;
  seconds: number;
  /** A DPoP proof per request, in order (a proof sent twice is refused, and counts as an error). */
  dpopProofs?: string[] | undefined;
  onMeasuring(): void;
  onDone(): void;
}): Promise<Window> {
  // autocannon's own histogram keeps whole milliseconds; this one keeps microseconds.
  const latencyMicros = createHistogram();
  let measuring = false;
  let requests = 0;
  let errors = 0;
  let startedAt = 0;
  let instance: autocannon.Instance | undefined;
  const proofs = options.dpopProofs;
  let nextProof = 0;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        headers: options.headers,
        connections: options.connections,
        duration: options.warmSeconds + options.seconds,
        // autocannon calls setupRequest for every request it sends, so each one takes the next proof.
        ...(proofs && {
          requests: [
            {
              setupRequest(request) {
                request.headers = { ...request.headers, dpop: proofs[nextProof++ % proofs.length] ?? "" };
                return request;
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
    measuring = true;
    startedAt = performance.now();
    options.onMeasuring();
  }, options.warmSeconds * 1000);
  const result = await done;
  options.onDone();
  clearTimeout(timer);
  return {
    requests,
    seconds: (performance.now() - startedAt) / 1000,
    p50Ms: latencyMicros.percentile(50) / 1000,
    p99Ms: latencyMicros.percentile(99) / 1000,
    errors: errors + result.errors,
  };
}

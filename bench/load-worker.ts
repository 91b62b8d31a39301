/**
 * The load generator, run as its own process (pinned to its own CPU when taskset exists) so that
 * neither the API nor the orchestrator shares an event loop with it.
 *
 * Input: one JSON argument ({@link LoadRequest}). Output: JSON lines on stdout — `{"event":"measuring"}`
 * when the warm-up is over, then `{"event":"result", ...}` ({@link LoadResult}).
 */
import { createHistogram } from "node:perf_hooks";
import autocannon, { type AutocannonResult } from "autocannon";

export interface LoadRequest {
  url: string;
  headers: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadResult {
  event: "result";
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts included (autocannon counts them in `errors`). */
  errors: number;
  non2xx: number;
}

function load(request: LoadRequest, seconds: number, onResponseMs?: (ms: number) => void) {
  return new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      { url: request.url, headers: request.headers, connections: request.connections, duration: seconds },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    // autocannon's own histogram keeps whole milliseconds; this one keeps microseconds.
    if (onResponseMs) instance.on("response", (_client, _status, _bytes, ms) => onResponseMs(ms));
  });
}

const request = JSON.parse(process.argv[2] ?? "{}") as LoadRequest;
if (request.warmupSeconds > 0) await load(request, request.warmupSeconds);
process.stdout.write(`${JSON.stringify({ event: "measuring" })}\n`);

const latencyMicros = createHistogram();
const result = await load(request, request.durationSeconds, (ms) =>
  latencyMicros.record(Math.max(1, Math.round(ms * 1000))),
);
const output: LoadResult = {
  event: "result",
  durationSeconds: result.duration,
  requests: result.requests.total,
  requestsPerSecond: result.requests.total / result.duration,
  p50Ms: latencyMicros.percentile(50) / 1000,
  p99Ms: latencyMicros.percentile(99) / 1000,
  errors: result.errors,
  non2xx: result.non2xx,
};
process.stdout.write(`${JSON.stringify(output)}\n`);

import type { ScenarioId } from "./scenarios";

export interface HttpRow {
  id: ScenarioId;
  label: string;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  /** req/s of each measured round, in round order (rounds of all rows interleave). */
  roundRequestsPerSecond: number[];
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** API CPU time (user + system) per request, from /proc: what the request costs the server. */
  apiCpuMicrosPerRequest: number;
  /** Share of one CPU the API used during the row; near 100 % means the API, not the load generator, was the limit. */
  apiCpuPercent: number;
  /** Requests the API sent to the issuer's JWKS during the measured part of the row. */
  jwksFetches: number;
}

export interface ReadinessProbe {
  spawnToFirstOkMs: number;
  readyInMs: number | undefined;
}

export interface Measurements {
  rows: HttpRow[];
  peakRssMb: number;
  readiness: ReadinessProbe[];
}

export interface TargetResult {
  name: string;
  measured: string;
  target: string;
  pass: boolean;
}

/** The targets, each compared within this one run. */
export const THRESHOLDS = {
  privateOverPublic: 0.9,
  trpcOverRest: 0.8,
  peakRssMb: 150,
  readyMs: 1000,
} as const;

/**
 * The median over rounds of numerator ÷ denominator req/s, each ratio taken within one round (the
 * two rows ran minutes apart at most, seconds apart usually): one round slowed by a neighbour on
 * the shared machine moves it less than a ratio of totals.
 */
export function ratio(rows: HttpRow[], numerator: ScenarioId, denominator: ScenarioId): number {
  const top = rows.find((row) => row.id === numerator);
  const bottom = rows.find((row) => row.id === denominator);
  if (!top || !bottom || top.roundRequestsPerSecond.length !== bottom.roundRequestsPerSecond.length)
    return Number.NaN;
  const perRound = top.roundRequestsPerSecond
    .map((value, round) => value / (bottom.roundRequestsPerSecond[round] as number))
    .sort((a, b) => a - b);
  const middle = perRound.length / 2;
  return Number.isInteger(middle)
    ? ((perRound[middle - 1] as number) + (perRound[middle] as number)) / 2
    : (perRound[Math.floor(middle)] as number);
}

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

export function evaluateTargets({ rows, peakRssMb, readiness }: Measurements): TargetResult[] {
  const restPrivate = ratio(rows, "rest-private", "rest-public");
  const trpcPrivate = ratio(rows, "trpc-private", "trpc-public");
  const trpcOverRest = ratio(rows, "trpc-private", "rest-private");
  const slowestSpawn = Math.max(...readiness.map((probe) => probe.spawnToFirstOkMs));
  const logged = readiness.map((probe) => probe.readyInMs ?? Number.NaN);
  const slowestLogged = Math.max(...logged);
  const failedRequests = rows.reduce((sum, row) => sum + row.errors + row.non2xx, 0);
  const jwksFetches = rows.reduce((sum, row) => sum + row.jwksFetches, 0);
  return [
    {
      name: "REST /api/private ÷ /api/public (req/s)",
      measured: fixed(restPrivate, 3),
      target: `≥ ${THRESHOLDS.privateOverPublic}`,
      pass: restPrivate >= THRESHOLDS.privateOverPublic,
    },
    {
      name: "tRPC private ÷ tRPC public (req/s)",
      measured: fixed(trpcPrivate, 3),
      target: `≥ ${THRESHOLDS.privateOverPublic}`,
      pass: trpcPrivate >= THRESHOLDS.privateOverPublic,
    },
    {
      name: "tRPC private ÷ REST /api/private (req/s)",
      measured: fixed(trpcOverRest, 3),
      target: `≥ ${THRESHOLDS.trpcOverRest}`,
      pass: trpcOverRest >= THRESHOLDS.trpcOverRest,
    },
    {
      name: "API peak RSS (VmHWM) over the whole run",
      measured: `${fixed(peakRssMb, 1)} MB`,
      target: `≤ ${THRESHOLDS.peakRssMb} MB`,
      pass: peakRssMb <= THRESHOLDS.peakRssMb,
    },
    {
      name: `API spawn → first 200 from /api/public (slowest of ${readiness.length})`,
      measured: `${fixed(slowestSpawn, 0)} ms`,
      target: `≤ ${THRESHOLDS.readyMs} ms`,
      pass: slowestSpawn <= THRESHOLDS.readyMs,
    },
    {
      name: `API's logged readyInMs (slowest of ${readiness.length})`,
      measured: `${fixed(slowestLogged, 0)} ms`,
      target: `≤ ${THRESHOLDS.readyMs} ms`,
      pass: slowestLogged <= THRESHOLDS.readyMs,
    },
    {
      name: "Errors, timeouts and non-2xx answers, all rows",
      measured: String(failedRequests),
      target: "0",
      pass: failedRequests === 0,
    },
    {
      name: "JWKS fetches during the measured part, all rows",
      measured: String(jwksFetches),
      target: "0",
      pass: jwksFetches === 0,
    },
  ];
}

/**
 * `pnpm bench`: what the auth layer costs per request, measured against the built API.
 *
 * Starts the issuer and the API (a separate process), loads every route from a separate load
 * generator process, runs the verifier microbenchmark, checks the targets, prints the tables and
 * writes BENCHMARKS.md. Exits non-zero when a target is missed or anything went wrong; every
 * process it started is stopped on the way out, also on error or Ctrl-C.
 *
 * Knobs: BENCH_CONNECTIONS (50), BENCH_WARMUP_S (2), BENCH_DURATION_S (18, per row, over all rounds),
 * BENCH_ISSUER (embedded | test), BENCH_WRITE=0 to leave BENCHMARKS.md alone,
 * BENCH_ROWS=rest-public,rest-private to run only some rows (a partial run fails the ratio targets),
 * BENCH_API_NODE_OPTIONS to give the API process NODE_OPTIONS (e.g. other V8 heap flags).
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { apiStartCommand } from "../scripts/lib/api-start-command";
import { ensureApiBuilt, type RunningApi, startApi } from "./api-process";
import { detectCpuPinning } from "./cpu-pinning";
import { AUDIENCE, startBenchIssuer } from "./issuer";
import { startJwksCounter } from "./jwks-counter";
import { runLoad } from "./load";
import type { LoadResult } from "./load-worker";
import { describeMachine } from "./machine";
import { runVerifierMicrobenchmark } from "./micro";
import { stopAllChildren } from "./processes";
import {
  type BenchReport,
  httpTable,
  microTable,
  ratioTable,
  readinessTable,
  renderMarkdown,
  targetTable,
} from "./report";
import { HTTP_SCENARIOS } from "./scenarios";
import { readSettings } from "./settings";
import { evaluateTargets, type HttpRow, type ReadinessProbe } from "./targets";

const READINESS_PROBES = 3;
/** Interleaved rounds per row; the row order is reversed every other round. */
const ROUNDS = 6;
/** Seconds of load before each measured round, to open the connections; not measured. */
const ROW_WARMUP_SECONDS = 1;
/** The measured API's log level: at info, Fastify logs two lines per request. */
const API_LOG_LEVEL = "warn";
const root = fileURLToPath(new URL("..", import.meta.url));
const startedAt = performance.now();
const cleanups: (() => Promise<void>)[] = [];

async function cleanUp(): Promise<void> {
  await stopAllChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping everything the benchmark started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

const log = (message: string) =>
  console.log(`[bench ${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${message}`);

/** One start at LOG_LEVEL=info, which logs readyInMs; waits briefly for that line after the first 200. */
async function probeReadiness(start: () => Promise<RunningApi>): Promise<ReadinessProbe> {
  const api = await start();
  for (let waited = 0; api.readyInMs === undefined && waited < 1000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const probe = { spawnToFirstOkMs: api.spawnToFirstOkMs, readyInMs: api.readyInMs };
  await api.stop();
  return probe;
}

/** Every row must answer 200 with the token, and the protected ones 401 without it, before it is loaded. */
async function checkRoutes(api: RunningApi, token: string): Promise<string[]> {
  const problems: string[] = [];
  for (const scenario of HTTP_SCENARIOS) {
    const response = await fetch(api.url + scenario.path, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    if (response.status !== 200)
      problems.push(`${scenario.label} answered ${response.status} with a valid token`);
    if (scenario.id.includes("private")) {
      const refused = await fetch(api.url + scenario.path);
      await refused.arrayBuffer();
      if (refused.status !== 401)
        problems.push(`${scenario.label} answered ${refused.status} without a token`);
    }
  }
  return problems;
}

/** One row from its rounds: totals for counts and rates, the mean p50 and the worst p99. */
function combineRounds(
  scenario: { id: HttpRow["id"]; label: string },
  rounds: { result: LoadResult; cpuSeconds: number; jwksFetches: number }[],
): HttpRow {
  const sum = (pick: (round: (typeof rounds)[number]) => number) =>
    rounds.reduce((total, round) => total + pick(round), 0);
  const seconds = sum((round) => round.result.durationSeconds);
  const requests = sum((round) => round.result.requests);
  const cpuSeconds = sum((round) => round.cpuSeconds);
  return {
    id: scenario.id,
    label: scenario.label,
    durationSeconds: seconds,
    requests,
    requestsPerSecond: requests / seconds,
    roundRequestsPerSecond: rounds.map((round) => round.result.requestsPerSecond),
    p50Ms: sum((round) => round.result.p50Ms) / rounds.length,
    p99Ms: Math.max(...rounds.map((round) => round.result.p99Ms)),
    errors: sum((round) => round.result.errors),
    non2xx: sum((round) => round.result.non2xx),
    apiCpuMicrosPerRequest: (cpuSeconds * 1e6) / Math.max(1, requests),
    apiCpuPercent: (cpuSeconds / seconds) * 100,
    jwksFetches: sum((round) => round.jwksFetches),
  };
}

async function main(): Promise<number> {
  const settings = readSettings();
  const machine = describeMachine();
  const pinning = detectCpuPinning(machine.cores);
  log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; ${pinning.describe()}`);

  const build = ensureApiBuilt(root);
  log(`API bundle ${build}`);

  const issuer = await startBenchIssuer(settings.issuer);
  cleanups.push(() => issuer.close());
  log(`issuer: ${issuer.description}`);
  const jwks = await startJwksCounter(issuer.jwksUri);
  cleanups.push(() => jwks.close());

  const apiEnv = {
    AUTH_ISSUER: issuer.issuer,
    API_AUDIENCE: AUDIENCE,
    AUTH_JWKS_URI: jwks.url,
    ...(settings.apiNodeOptions ? { NODE_OPTIONS: settings.apiNodeOptions } : {}),
  };
  const readiness: ReadinessProbe[] = [];
  for (let i = 0; i < READINESS_PROBES; i += 1) {
    readiness.push(await probeReadiness(() => startApi({ root, pinning, env: apiEnv, logLevel: "info" })));
  }
  log(
    `ready times (spawn → first 200): ${readiness.map((probe) => `${Math.round(probe.spawnToFirstOkMs)} ms`).join(", ")}`,
  );

  const api = await startApi({ root, pinning, env: apiEnv, logLevel: API_LOG_LEVEL });
  const token = await issuer.token();
  const problems = await checkRoutes(api, token);
  if (problems.length > 0) throw new Error(problems.join("; "));
  log(`API pid ${api.pid} at ${api.url}; routes checked; ${jwks.requests} JWKS fetch(es) while warming up`);

  const scenarios = HTTP_SCENARIOS.filter((scenario) => settings.rows?.includes(scenario.id) ?? true);
  const load = async (
    scenario: (typeof scenarios)[number],
    warmupSeconds: number,
    durationSeconds: number,
  ) => {
    let cpuAtStart = 0;
    let jwksAtStart = 0;
    const result = await runLoad(
      root,
      pinning,
      {
        url: api.url + scenario.path,
        headers: { authorization: `Bearer ${token}` },
        connections: settings.connections,
        warmupSeconds,
        durationSeconds,
      },
      {
        onMeasuring() {
          cpuAtStart = api.cpuSeconds();
          jwksAtStart = jwks.requests;
        },
      },
    );
    return { result, cpuSeconds: api.cpuSeconds() - cpuAtStart, jwksFetches: jwks.requests - jwksAtStart };
  };

  // Warm every route first, so the JIT and the heap are settled before the first measured row.
  for (const scenario of scenarios) await load(scenario, 0, settings.warmupSeconds);
  log(`warmed up every route for ${settings.warmupSeconds} s`);

  // Interleaved rounds, so drift on a shared machine spreads over all rows instead of the last ones;
  // reversing the order every other round gives each row both neighbours.
  const rounds = new Map<string, Awaited<ReturnType<typeof load>>[]>();
  // Whole seconds: autocannon reports (and runs) durations in whole seconds.
  const roundSeconds = Math.max(1, Math.round(settings.durationSeconds / ROUNDS));
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const scenario of round % 2 === 1 ? scenarios : [...scenarios].reverse()) {
      const measured = await load(scenario, ROW_WARMUP_SECONDS, roundSeconds);
      rounds.set(scenario.id, [...(rounds.get(scenario.id) ?? []), measured]);
      log(
        `round ${round} ${scenario.label}: ${Math.round(measured.result.requestsPerSecond)} req/s, ${((measured.cpuSeconds * 1e6) / Math.max(1, measured.result.requests)).toFixed(1)} µs CPU/req`,
      );
    }
  }
  const rows = scenarios.map((scenario) => combineRounds(scenario, rounds.get(scenario.id) ?? []));
  const peakRssMb = api.peakRssBytes() / 1e6;
  problems.push(...api.warnings.map((line) => `the API logged: ${line}`));
  await api.stop();

  log("verifier microbenchmark (packages/auth alone)");
  const micro = await runVerifierMicrobenchmark(root, pinning);

  const measurements = { rows, peakRssMb, readiness };
  const report: BenchReport = {
    ...measurements,
    date: new Date().toISOString(),
    command: "pnpm bench",
    totalSeconds: (performance.now() - startedAt) / 1000,
    machine,
    pinning: pinning.describe(),
    issuer: issuer.description,
    build,
    rounds: ROUNDS,
    roundSeconds,
    settings: {
      ...settings,
      logLevel: API_LOG_LEVEL,
      apiCommand: ["node", ...apiStartCommand(root).args].join(" "),
    },
    micro: micro.rows,
    targets: evaluateTargets(measurements),
    problems,
  };

  console.log(
    [
      httpTable(rows),
      ratioTable(rows),
      targetTable(report.targets),
      microTable(micro.rows),
      readinessTable(report),
    ].join("\n\n"),
  );
  if (problems.length > 0)
    console.log(`\nProblems:\n${problems.map((problem) => `- ${problem}`).join("\n")}`);
  if (settings.write) {
    writeFileSync(new URL("../BENCHMARKS.md", import.meta.url), renderMarkdown(report));
    log("wrote BENCHMARKS.md");
  }
  const failed = report.targets.filter((target) => !target.pass).length;
  log(
    failed === 0 && problems.length === 0
      ? "all targets met"
      : `${failed} target(s) missed, ${problems.length} problem(s)`,
  );
  return failed === 0 && problems.length === 0 ? 0 : 1;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);

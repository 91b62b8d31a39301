import type { MachineDescription } from "./machine";
import { type HttpRow, type Measurements, ratio, type TargetResult } from "./targets";
import type { MicroRow } from "./verifier-micro-worker";

export interface BenchReport extends Measurements {
  date: string;
  command: string;
  totalSeconds: number;
  machine: MachineDescription;
  pinning: string;
  issuer: string;
  build: string;
  /** Measured rounds per row, and seconds per round. */
  rounds: number;
  roundSeconds: number;
  settings: {
    connections: number;
    warmupSeconds: number;
    durationSeconds: number;
    logLevel: string;
    apiNodeOptions: string;
    /** How the API was started: apps/api's start script. */
    apiCommand: string;
  };
  micro: MicroRow[];
  targets: TargetResult[];
  /** Problems that are not a missed target: a crashed child, warnings logged by the API. */
  problems: string[];
}

const n = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "n/a";

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function httpTable(rows: HttpRow[]): string {
  return table(
    [
      "Row",
      "req/s",
      "p50 ms",
      "p99 ms",
      "API CPU µs/req",
      "API CPU %",
      "errors",
      "non-2xx",
      "JWKS fetches",
      "requests",
      "s",
    ],
    rows.map((row) => [
      row.label,
      n(row.requestsPerSecond),
      n(row.p50Ms, 2),
      n(row.p99Ms, 2),
      n(row.apiCpuMicrosPerRequest, 1),
      n(row.apiCpuPercent),
      String(row.errors),
      String(row.non2xx),
      String(row.jwksFetches),
      n(row.requests),
      n(row.durationSeconds, 1),
    ]),
  );
}

export function ratioTable(rows: HttpRow[]): string {
  const ratios: [string, number][] = [
    ["REST /api/private ÷ /api/public", ratio(rows, "rest-private", "rest-public")],
    ["REST /api/private-scoped ÷ /api/public", ratio(rows, "rest-private-scoped", "rest-public")],
    ["tRPC private ÷ tRPC public", ratio(rows, "trpc-private", "trpc-public")],
    ["tRPC privateScoped ÷ tRPC public", ratio(rows, "trpc-private-scoped", "trpc-public")],
    ["tRPC private ÷ REST /api/private", ratio(rows, "trpc-private", "rest-private")],
    ["tRPC public ÷ REST /api/public", ratio(rows, "trpc-public", "rest-public")],
  ];
  return table(
    ["Ratio (req/s, median of the per-round ratios)", "value"],
    ratios.map(([name, value]) => [name, n(value, 3)]),
  );
}

export function targetTable(targets: TargetResult[]): string {
  return table(
    ["Target", "measured", "target", "result"],
    targets.map((target) => [target.name, target.measured, target.target, target.pass ? "PASS" : "**FAIL**"]),
  );
}

export function microTable(rows: MicroRow[]): string {
  return table(
    ["packages/auth alone", "verifications/s", "µs each", "operations"],
    rows.map((row) => [row.name, n(row.perSecond), n(row.microsPerOperation, 2), n(row.operations)]),
  );
}

export function readinessTable(report: BenchReport): string {
  return table(
    ["Probe (LOG_LEVEL=info)", "spawn → first 200 (ms)", "logged readyInMs"],
    report.readiness.map((probe, index) => [
      String(index + 1),
      n(probe.spawnToFirstOkMs),
      probe.readyInMs === undefined ? "not logged" : String(probe.readyInMs),
    ]),
  );
}

/** BENCHMARKS.md: results first, then how they were measured. */
export function renderMarkdown(report: BenchReport): string {
  const passed = report.targets.every((target) => target.pass) && report.problems.length === 0;
  const { machine, settings } = report;
  return `# Benchmarks

What the auth layer costs per request: the quickstart's protected endpoints against its public one,
on REST and tRPC, in one run against one API process. Rerun with \`${report.command}\`; refresh this file
when the request hot path changes (packages/auth's verifier, apps/api's routes or plugins).

**Result: ${passed ? "every target met" : "a target was missed or the run had problems"}.** Run on ${report.date}, ${n(report.totalSeconds)} s in all.

## Machine

- CPU: ${machine.cpuModel}, ${machine.cores} cores; memory ${machine.memoryGiB} GiB; ${machine.os}; Node ${machine.node}
- Pinning: ${report.pinning}
- Issuer: ${report.issuer}
- API: \`${settings.apiCommand}\` in apps/api, as \`pnpm start:api\` runs it (production bundle, ${report.build}), LOG_LEVEL=${settings.logLevel}, ${settings.apiNodeOptions ? `NODE_OPTIONS="${settings.apiNodeOptions}"` : "no NODE_OPTIONS"}, default verifier settings (token cache of 10 000)
- Load: autocannon in its own process, ${settings.connections} connections. Every route is first loaded for ${settings.warmupSeconds} s (not measured); then each row is measured in ${report.rounds} interleaved rounds of ${report.roundSeconds} s (the row order reversed every other round), each after 1 s of unmeasured load, ${report.rounds * report.roundSeconds} s per row in all (req/s over all rounds, p50 the mean of the rounds, p99 the worst). A ratio between two rows is the median of their per-round ratios. Every row sends the same \`Authorization: Bearer <token>\` header (public routes ignore it), so the rows differ only in the work the route does

## HTTP, one API process

${httpTable(report.rows)}

${ratioTable(report.rows)}

## Targets

${targetTable(report.targets)}
${report.problems.length ? `\nProblems:\n\n${report.problems.map((problem) => `- ${problem}`).join("\n")}\n` : ""}
## The verifier alone (packages/auth, no HTTP)

${microTable(report.micro)}

## Start-up

${readinessTable(report)}

## Reading the results

- **What auth costs**: the "API CPU µs/req" column of a protected row minus its public row. With the
  verified-token cache a repeated token is a Map lookup (the microbenchmark's "cache on" row) instead of
  an RSA-2048 signature check ("cache off"), and the scope check reads the scope set computed when the
  token was verified. Req/s ratios move by several points from run to run on this shared 2-core VM
  (API CPU time is the steadier measure), which is why a ratio is the median of per-round ratios.
- **tRPC versus REST**. Plain single queries (every tRPC row but the batch) are answered by apps/api's
  fast path (\`src/trpc-fast-path.ts\`) through tRPC's own \`callTRPCProcedure\`; the batch goes through
  @trpc/server's Fastify adapter, which converts every request to a Fetch \`Request\` and back (about
  4× the CPU of the fast path per procedure). The API bundle compiles @trpc/server from the TypeScript
  source its package ships (\`apps/api/build.mjs\`): its published dist turns every object spread into
  an \`_objectSpread2\` helper call, and tRPC spreads its options at every middleware step. With the
  dist, tRPC private was about 0.55 × REST private; with the source, 0.74 to 0.82 × over full runs.
- **tRPC private versus tRPC public** is one more step of tRPC's middleware chain (\`protectedProcedure\`:
  its options copied twice, the context merged, two more async frames) on top of the same cached
  verification REST does. tRPC private is also the least steady row: the privateScoped and batch rows
  run the same middleware chain with other middleware and option shapes, and V8's code for it then
  serves several shapes. In a run of only REST private, tRPC public, tRPC private and the batch,
  tRPC private held at 24.3-25.3k req/s in every round (0.83 × REST private).
- **Peak RSS**: the API idles at about 90 MB (half of it the Node binary) and its live heap stays near
  20 MB. V8 sizes its heap by the machine's memory (64 MB semi-spaces on this machine), so apps/api's
  start script sets \`--max-semi-space-size=4 --max-old-space-size=512\`; without them peak RSS under this
  benchmark was 230-300 MB, at the same req/s.

## How it is measured

- \`bench/run.ts\` builds the API if \`dist/server.js\` is missing or older than its sources, starts the issuer
  in-process and the API as a separate process on 127.0.0.1, fetches one real token (granting
  \`read:messages\`), and checks every row answers 200 with it (the protected ones 401 without it) before
  loading it.
- Each warm-up and each round of a row is one \`bench/load-worker.ts\` process running autocannon; latency
  percentiles are recorded per response in microseconds. API CPU time comes from \`/proc/<pid>/stat\` (utime +
  stime) across the measured part of each round; it is the per-request cost that does not depend on how fast
  the load generator is.
- Peak RSS is the API's \`VmHWM\` from \`/proc/<pid>/status\` at the end of the run (the kernel's high-water mark).
- JWKS fetches are counted by a pass-through proxy between the API and the issuer's \`jwks_uri\`
  (\`AUTH_JWKS_URI\` points the API at it), so the count is what actually went over the network.
- Start-up is measured on ${report.readiness.length} separate starts at LOG_LEVEL=info (which logs \`readyInMs\`);
  the benchmark's own API runs at LOG_LEVEL=warn, because at info Fastify logs two lines per request and the
  benchmark would measure the logger.
- The microbenchmark runs \`createAccessTokenVerifier\` in its own process against the test issuer: 'fresh
  token' verifies distinct pre-signed tokens with a new verifier each round (every call a signature check),
  'repeated token' verifies the same string again and again.
`;
}

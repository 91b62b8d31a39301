import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { MicroResult } from "./micro";

/** One row over all its rounds: medians of the per-round values, totals of the counts. */
export interface RowSummary {
  name: string;
  server: "api" | "peer" | "floor";
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  errors: number;
  jwksFetches: number;
  peakRssMb: number;
}

/** Met when `value` is at most `limit`. */
export interface Target {
  name: string;
  value: number;
  limit: number;
  unit: string;
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);
const count = (value: number) => Math.round(value).toLocaleString("en-US");

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

export function renderResults(report: {
  date: string;
  seconds: number;
  machine: string;
  load: string;
  rounds: string;
  rows: RowSummary[];
  micro: MicroResult;
  readyInMs: number[];
  targets: Target[];
}): string {
  const failed = report.targets.filter((target) => !(target.value <= target.limit)).length;
  return [
    `**${failed === 0 ? "Every target met" : `${failed} target(s) missed`}** on ${report.date}, \`pnpm bench\` in ${Math.round(report.seconds)} s.`,
    `- Machine: ${report.machine}; load average ${report.load}`,
    `- ${report.rounds}`,
    `- API ready (its logged \`readyInMs\`, 3 starts): ${report.readyInMs.join(", ")} ms`,
    "",
    table(
      ["Row", "req/s", "p50 ms", "p99 ms", "server CPU µs/req", "errors", "JWKS fetches", "peak RSS MB"],
      report.rows.map((row) => [
        row.name,
        count(row.requestsPerSecond),
        fixed(row.p50Ms, 2),
        fixed(row.p99Ms, 2),
        fixed(row.cpuMicrosPerRequest),
        String(row.errors),
        String(row.jwksFetches),
        fixed(row.peakRssMb, 0),
      ]),
    ),
    "",
    table(
      ["In-process (no HTTP)", "CPU µs per call"],
      [
        [
          "packages/auth verifier, a fresh token each call (signature check)",
          fixed(report.micro.freshTokenMicros),
        ],
        [
          "packages/auth verifier, one repeated token (cache hit)",
          fixed(report.micro.repeatedTokenMicros, 2),
        ],
        ["tRPC `public` through the server-side caller", fixed(report.micro.callerPublicMicros, 2)],
        ["tRPC `private` through the server-side caller", fixed(report.micro.callerPrivateMicros, 2)],
      ],
    ),
    "",
    table(
      ["Target", "measured", "target", "result"],
      report.targets.map(({ name, value, limit, unit }) => [
        name,
        `${Number(value.toPrecision(3))} ${unit}`.trim(),
        `≤ ${limit} ${unit}`.trim(),
        value <= limit ? "PASS" : "**FAIL**",
      ]),
    ),
  ].join("\n");
}

const BEGIN = "<!-- pnpm bench: results begin -->";
const END = "<!-- pnpm bench: results end -->";

/** Replaces only what lies between the markers, so the sections written by hand stay as they are. */
export function writeResults(path: string, results: string): void {
  const block = `${BEGIN}\n\n${results}\n\n${END}`;
  const current = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    begin >= 0 && end > begin
      ? current.slice(0, begin) + block + current.slice(end + END.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Target } from "./bench";
import type { Round } from "./load";

/** The median (the upper one of an even count). */
export const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Whether `target` is met (a target with no limit always is). */
export const isMet = (target: Target) => target.limit === undefined || target.value <= target.limit;

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
  /** Each HTTP row's rounds: shown as the medians of the per-round values, totals of the counts. */
  rows: { name: string; rounds: Round[] }[];
  /** In-process rows: CPU µs per call, their median round. */
  inProcess: { name: string; micros: number }[];
  readyInMs: number[];
  targets: Target[];
}): string {
  const failed = report.targets.filter((target) => !isMet(target)).length;
  return [
    `**${failed === 0 ? "Every target met" : `${failed} target(s) missed`}** on ${report.date}, \`pnpm bench\` in ${Math.round(report.seconds)} s.`,
    `- Machine: ${report.machine}; load average ${report.load}`,
    `- ${report.rounds}`,
    `- API ready (its logged \`readyInMs\`, 3 starts): ${report.readyInMs.join(", ")} ms`,
    "",
    table(
      ["Row", "req/s", "p50 ms", "p99 ms", "server CPU µs/req", "errors", "JWKS fetches", "peak RSS MB"],
      report.rows.map(({ name, rounds }) => {
        const middle = (value: (round: Round) => number) => median(rounds.map(value));
        const total = (value: (round: Round) => number) =>
          rounds.reduce((sum, round) => sum + value(round), 0);
        return [
          name,
          count(middle((round) => round.requests / round.seconds)),
          fixed(
            middle((round) => round.p50Ms),
            2,
          ),
          fixed(
            middle((round) => round.p99Ms),
            2,
          ),
          fixed(middle((round) => round.cpuMicrosPerRequest)),
          String(total((round) => round.errors)),
          String(total((round) => round.jwksFetches)),
          fixed(Math.max(...rounds.map((round) => round.peakRssMb)), 0),
        ];
      }),
    ),
    "",
    table(
      ["In-process (no HTTP)", "CPU µs per call"],
      report.inProcess.map(({ name, micros }) => [name, fixed(micros, micros < 10 ? 2 : 1)]),
    ),
    "",
    table(
      ["Target", "measured", "target", "result"],
      report.targets.map((target) => [
        target.name,
        `${Number(target.value.toPrecision(3))} ${target.unit}`.trim(),
        target.limit === undefined ? "no limit" : `≤ ${target.limit} ${target.unit}`.trim(),
        target.limit === undefined ? "—" : isMet(target) ? "PASS" : "**FAIL**",
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

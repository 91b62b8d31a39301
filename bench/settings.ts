import type { IssuerChoice } from "./issuer";

/** Knobs, from the environment; the defaults are what BENCHMARKS.md is produced with. */
export interface BenchSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  issuer: IssuerChoice;
  /** Whether to rewrite BENCHMARKS.md. */
  write: boolean;
  /** NODE_OPTIONS for the API process (e.g. V8 heap flags), empty by default: the API runs as `pnpm start:api` runs it. */
  apiNodeOptions: string;
  /** Only these rows (ids from scenarios.ts), for quick experiments; all when unset. */
  rows: string[] | undefined;
}

/** A positive number from the environment variable `name`, or `fallback` when it is unset or empty. */
export function positiveFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

export function readSettings(): BenchSettings {
  const issuer = process.env.BENCH_ISSUER ?? "embedded";
  if (issuer !== "embedded" && issuer !== "test") {
    throw new Error(`BENCH_ISSUER must be embedded or test, got ${issuer}`);
  }
  return {
    connections: positiveFromEnv("BENCH_CONNECTIONS", 50),
    warmupSeconds: positiveFromEnv("BENCH_WARMUP_S", 2),
    durationSeconds: positiveFromEnv("BENCH_DURATION_S", 18),
    issuer,
    write: process.env.BENCH_WRITE !== "0",
    apiNodeOptions: process.env.BENCH_API_NODE_OPTIONS ?? "",
    rows: process.env.BENCH_ROWS ? process.env.BENCH_ROWS.split(",").map((id) => id.trim()) : undefined,
  };
}

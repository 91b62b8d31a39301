/**
 * The API under test: the production build (`apps/api/dist/server.js`), started as its own
 * process exactly as `pnpm start:api` would (apps/api's start script, Node flags included), with its memory and CPU time read from /proc.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { apiStartCommand } from "../scripts/lib/api-start-command";
import { waitForHttp } from "../scripts/lib/wait-for";
import type { CpuPinning } from "./cpu-pinning";
import { onJsonLines, spawnTracked, stopChild } from "./processes";

const API_CPU = 0;

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Newest modification time under the paths the API bundle is built from. */
function newestSourceMtime(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) continue;
    if (stats.isDirectory()) {
      const children = readdirSync(path).filter((name) => name !== "node_modules" && name !== "dist");
      newest = Math.max(newest, newestSourceMtime(children.map((name) => join(path, name))));
    } else newest = Math.max(newest, stats.mtimeMs);
  }
  return newest;
}

/** Builds the API when dist/server.js is missing or older than its sources; says which. */
export function ensureApiBuilt(root: string): "up to date" | "rebuilt" {
  const bundle = join(root, "apps/api/dist/server.js");
  const built = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sources = newestSourceMtime([
    join(root, "apps/api/src"),
    join(root, "apps/api/build.mjs"),
    join(root, "apps/api/package.json"),
    join(root, "packages/auth/src"),
    join(root, "packages/auth/package.json"),
  ]);
  if (built > sources) return "up to date";
  execFileSync("pnpm", ["--filter", "@quickstart/api", "build"], { cwd: root, stdio: "inherit" });
  return "rebuilt";
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningApi {
  pid: number;
  url: string;
  /** From spawn to the first 200 from GET /api/public. */
  spawnToFirstOkMs: number;
  /** What the API logged as `readyInMs` (only at LOG_LEVEL info or lower). */
  readyInMs: number | undefined;
  /** Log lines at warn or above: there should be none. */
  warnings: string[];
  /** Resident set size now (VmRSS), in bytes. */
  rssBytes(): number;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRssBytes(): number;
  /** User + system CPU time used so far, in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface StartApiOptions {
  root: string;
  pinning: CpuPinning;
  env: Record<string, string>;
  logLevel: "info" | "warn";
}

const PINO_WARN = 40;

export async function startApi({ root, pinning, env, logLevel }: StartApiOptions): Promise<RunningApi> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const start = apiStartCommand(root);
  const [command, args] = pinning.wrap(API_CPU, start.command, start.args);
  const started = performance.now();
  const child = spawnTracked(command, args, {
    cwd: join(root, "apps/api"),
    env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: logLevel },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start the API");

  let readyInMs: number | undefined;
  const warnings: string[] = [];
  onJsonLines(child, (value, raw) => {
    const line = value as { msg?: string; level?: number; readyInMs?: number } | undefined;
    if (line?.msg === "API ready") readyInMs = line.readyInMs;
    if ((line?.level ?? PINO_WARN) >= PINO_WARN) warnings.push(raw);
  });

  const exited = new Promise((resolve) => child.once("exit", resolve));
  // Polled every 5 ms: the time to the first answer is one of the benchmark's measurements.
  const served = await waitForHttp(`${url}/api/public`, 15_000, exited, 5);
  const spawnToFirstOkMs = performance.now() - started;
  if (!served) {
    await stopChild(child);
    const exit = child.signalCode ?? (child.exitCode === null ? undefined : `code ${child.exitCode}`);
    throw new Error(
      exit === undefined
        ? `the API did not answer ${url}/api/public within 15 s`
        : `the API exited with ${exit} before serving`,
    );
  }
  const api: RunningApi = {
    pid,
    url,
    spawnToFirstOkMs,
    get readyInMs() {
      return readyInMs;
    },
    warnings,
    rssBytes: () => readStatusKb(pid, "VmRSS") * 1024,
    peakRssBytes: () => readStatusKb(pid, "VmHWM") * 1024,
    cpuSeconds: () => readCpuSeconds(pid),
    stop: () => stopChild(child),
  };
  return api;
}

function readStatusKb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** utime + stime from /proc/<pid>/stat, which counts clock ticks of 1/USER_HZ s. */
function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces; fields after it are space-separated.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

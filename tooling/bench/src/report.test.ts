import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { Round } from "./load";
import { renderResults, writeResults } from "./report";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bench-report-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it("replaces only what lies between the markers, keeping the sections written by hand", async () => {
  const path = join(dir, "BENCHMARKS.md");
  await writeFile(
    path,
    "# Benchmarks\n\n<!-- pnpm bench: results begin -->\nold table\n<!-- pnpm bench: results end -->\n\n## Scale-out behind nginx\n\nby hand\n",
  );
  writeResults(path, "new table");
  writeResults(path, "newer table");
  const text = await readFile(path, "utf8");
  expect(text).toBe(
    "# Benchmarks\n\n<!-- pnpm bench: results begin -->\n\nnewer table\n\n<!-- pnpm bench: results end -->\n\n## Scale-out behind nginx\n\nby hand\n",
  );
});

it("appends the results to a file without markers instead of overwriting it", async () => {
  const path = join(dir, "BENCHMARKS.md");
  await writeFile(path, "# Benchmarks\n\nby hand\n");
  writeResults(path, "table");
  expect(await readFile(path, "utf8")).toBe(
    "# Benchmarks\n\nby hand\n\n<!-- pnpm bench: results begin -->\n\ntable\n\n<!-- pnpm bench: results end -->\n",
  );
});

it("renders each row's median round and totals, the in-process rows and the targets as BENCHMARKS.md shows them", () => {
  const round = (requests: number, p50Ms: number, cpuMicrosPerRequest: number, errors = 0): Round => ({
    requests,
    seconds: 2.5,
    p50Ms,
    p99Ms: p50Ms * 3,
    errors,
    cpuMicrosPerRequest,
    jwksFetches: 0,
    peakRssMb: 100 + requests / 1000,
  });
  const results = renderResults({
    date: "2026-01-02T03:04:05.000Z",
    seconds: 251.6,
    machine: "CPU, 2 cores, 8 GiB, Node v24.0.0",
    load: "1.00 at the start, 2.00 at the end",
    rounds: "3 interleaved rounds",
    rows: [
      {
        name: "REST /api/private",
        rounds: [round(25_000, 1.234, 60.04), round(26_000, 1.1, 58.25, 2), round(24_000, 1.5, 61.96)],
      },
    ],
    inProcess: [
      { name: "cache hit", micros: 1.2345 },
      { name: "signature check", micros: 93.45 },
    ],
    readyInMs: [133, 140, 622],
    targets: [
      { name: "met", value: 8.6123, limit: 10, unit: "µs" },
      { name: "missed", value: 0.5123, limit: 0.4, unit: "×" },
      { name: "shown", value: 1.25, limit: undefined, unit: "×" },
      { name: "errors", value: 2, limit: 0, unit: "" },
    ],
  });
  expect(results).toBe(
    [
      "**2 target(s) missed** on 2026-01-02T03:04:05.000Z, `pnpm bench` in 252 s.",
      "- Machine: CPU, 2 cores, 8 GiB, Node v24.0.0; load average 1.00 at the start, 2.00 at the end",
      "- 3 interleaved rounds",
      "- API ready (its logged `readyInMs`, 3 starts): 133, 140, 622 ms",
      "",
      "| Row | req/s | p50 ms | p99 ms | server CPU µs/req | errors | JWKS fetches | peak RSS MB |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      "| REST /api/private | 10,000 | 1.23 | 3.70 | 60.0 | 2 | 0 | 126 |",
      "",
      "| In-process (no HTTP) | CPU µs per call |",
      "| --- | --- |",
      "| cache hit | 1.23 |",
      "| signature check | 93.5 |",
      "",
      "| Target | measured | target | result |",
      "| --- | --- | --- | --- |",
      "| met | 8.61 µs | ≤ 10 µs | PASS |",
      "| missed | 0.512 × | ≤ 0.4 × | **FAIL** |",
      "| shown | 1.25 × | no limit | — |",
      "| errors | 2 | ≤ 0 | **FAIL** |",
    ].join("\n"),
  );
});

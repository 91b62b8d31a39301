import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { writeResults } from "./report";

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

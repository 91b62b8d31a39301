import { join } from "node:path";
import type { CpuPinning } from "./cpu-pinning";
import type { LoadRequest, LoadResult } from "./load-worker";
import { exitOf, onJsonLines, spawnTracked } from "./processes";

const LOAD_CPU = 1;

export interface LoadHooks {
  /** Called when the warm-up is over and the measured part begins. */
  onMeasuring(): void;
}

/** Runs one row's load in a separate, pinned process and returns what autocannon measured. */
export async function runLoad(
  root: string,
  pinning: CpuPinning,
  request: LoadRequest,
  hooks: LoadHooks,
): Promise<LoadResult> {
  const [command, args] = pinning.wrap(LOAD_CPU, process.execPath, [
    "--import",
    "tsx",
    join(root, "bench/load-worker.ts"),
    JSON.stringify(request),
  ]);
  const child = spawnTracked(command, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  let result: LoadResult | undefined;
  onJsonLines(child, (value) => {
    const event = (value as { event?: string } | undefined)?.event;
    if (event === "measuring") hooks.onMeasuring();
    if (event === "result") result = value as LoadResult;
  });
  await exitOf(child, "the load generator");
  if (!result) throw new Error("the load generator exited without a result");
  return result;
}

import { join } from "node:path";
import type { CpuPinning } from "./cpu-pinning";
import { exitOf, onJsonLines, spawnTracked } from "./processes";
import type { MicroResult } from "./verifier-micro-worker";

/** Runs the packages/auth microbenchmark in its own process, on the CPU the API had. */
export async function runVerifierMicrobenchmark(root: string, pinning: CpuPinning): Promise<MicroResult> {
  const [command, args] = pinning.wrap(0, process.execPath, [
    "--import",
    "tsx",
    join(root, "bench/verifier-micro-worker.ts"),
  ]);
  const child = spawnTracked(command, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  let result: MicroResult | undefined;
  onJsonLines(child, (value) => {
    if (value && typeof value === "object" && "rows" in value) result = value as MicroResult;
  });
  await exitOf(child, "the verifier microbenchmark");
  if (!result) throw new Error("the verifier microbenchmark printed no result");
  return result;
}

import { execFileSync } from "node:child_process";

/** Which CPU each process runs on, when the machine lets us choose. */
export interface CpuPinning {
  /** The command and arguments that run `command args` on `cpu` (unchanged when taskset is missing). */
  wrap(cpu: number, command: string, args: string[]): [string, string[]];
  describe(): string;
}

/**
 * Pins with `taskset -c <cpu>` when taskset exists and the machine has at least two CPUs: the
 * API on CPU 0 and the load generator on CPU 1, so one never steals the other's time slices.
 */
export function detectCpuPinning(cpuCount: number): CpuPinning {
  const available = cpuCount >= 2 && hasTaskset();
  return {
    wrap: (cpu, command, args) =>
      available ? ["taskset", ["-c", String(cpu), command, ...args]] : [command, args],
    describe: () =>
      available
        ? "taskset: API on CPU 0, load generator on CPU 1"
        : "not pinned (taskset missing or a single CPU): API and load generator share the CPUs",
  };
}

function hasTaskset(): boolean {
  try {
    execFileSync("sh", ["-c", "command -v taskset"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

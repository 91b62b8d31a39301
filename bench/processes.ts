import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";

/** Every child this benchmark started and has not seen exit, so that all of them can be stopped. */
const running = new Set<ChildProcess>();

/** `spawn`, remembering the child until it exits. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every child still running (by the handle we spawned it with, never by name). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** Calls `onLine` for each line the child writes to stdout, parsed as JSON when it is JSON. */
export function onJsonLines(child: ChildProcess, onLine: (value: unknown, raw: string) => void): void {
  let buffered = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== "") {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          value = undefined;
        }
        onLine(value, line);
      }
      newline = buffered.indexOf("\n");
    }
  });
}

/** Waits for the child to exit; rejects on a non-zero exit code or a signal. */
export function exitOf(child: ChildProcess, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (code: number | null, signal: NodeJS.Signals | null) =>
      code === 0 ? resolve() : reject(new Error(`${name} exited with ${signal ?? `code ${code}`}`));
    if (child.exitCode !== null || child.signalCode !== null) settle(child.exitCode, child.signalCode);
    else child.once("exit", settle);
  });
}

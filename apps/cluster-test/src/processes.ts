/**
 * Every process the cluster test starts, with its output in a log file (reading it back is cheaper
 * than piping thousands of log lines a second through the test), and a way to stop them all.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, statSync } from "node:fs";

export interface ManagedProcess {
  name: string;
  pid: number | undefined;
  logFile: string;
  cleanupSignal: NodeJS.Signals;
  /** The exit code or signal once it has exited, else undefined. */
  exitCode(): number | string | undefined;
  exited: Promise<number | string>;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

const running = new Set<ManagedProcess>();

/** The first of `candidates` that exists, or an error naming the Debian package to install. */
export function findProgram(debianPackage: string, candidates: string[]): string {
  for (const candidate of candidates) {
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
  }
  throw new Error(
    `${debianPackage} not found in ${candidates.join(", ")}: apt-get install -y ${debianPackage} (.ci/run does this)`,
  );
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    logFile: string;
    /**
     * How {@link killAll} ends it. SIGKILL by default; nginx needs SIGTERM, as its master killed
     * outright leaves its workers running, listening on its port.
     */
    cleanupSignal?: NodeJS.Signals;
  },
): ManagedProcess {
  const log = openSync(options.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", log, log] });
  } finally {
    closeSync(log);
  }
  let exit: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
    child.once("error", (error) => resolve((error as NodeJS.ErrnoException).code ?? "error"));
  }).then((value) => {
    exit = value;
    running.delete(managed);
    return value;
  });
  const managed: ManagedProcess = {
    name,
    cleanupSignal: options.cleanupSignal ?? "SIGKILL",
    pid: child.pid,
    logFile: options.logFile,
    exitCode: () => exit,
    exited,
    signal(signal) {
      if (exit === undefined) child.kill(signal);
    },
    async stop(graceMs = 20_000) {
      managed.signal("SIGTERM");
      const timer = setTimeout(() => managed.signal("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  running.add(managed);
  return managed;
}

/** Ends whatever is still running (by the handles we started, never by name). */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map((managed) => {
      managed.signal(managed.cleanupSignal);
      const timer = setTimeout(() => managed.signal("SIGKILL"), 5000);
      return managed.exited.finally(() => clearTimeout(timer));
    }),
  );
}

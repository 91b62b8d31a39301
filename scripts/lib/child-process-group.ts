// Children of `pnpm serve`: each in its own process group (so Ctrl-C reaches it only through us, and
// stopping it also stops whatever it spawned), with prefixed output and its last lines kept.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** A started child. */
export interface ManagedChild {
  name: string;
  /** The last lines it printed, for error messages. */
  lastLines(): string[];
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<number | string>;
  /**
   * SIGINT to its whole group, as Ctrl-C in a terminal would send (pnpm then ends quietly with the
   * script's exit code); SIGKILL after `graceMs` if it is still running.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `command args` in a new process group, prefixing each output line with `[name]`. */
export function startChild(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): ManagedChild {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      tail.push(line);
      if (tail.length > 15) tail.shift();
      console.log(`[${name}] ${line}`);
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
    child.once("error", (error) => {
      tail.push(error.message);
      resolve((error as NodeJS.ErrnoException).code ?? "error");
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });

  const signalGroup = (signal: NodeJS.Signals) => {
    if (!running || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };

  return {
    name,
    lastLines: () => [...tail],
    exited,
    async stop(graceMs = 5000) {
      signalGroup("SIGINT");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // The leader may exit before the rest of its group (e.g. a watcher's child).
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // Nothing left.
        }
      }
    },
  };
}

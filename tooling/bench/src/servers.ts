import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

/** A server process the bench started, with its CPU time and memory read from /proc. */
export interface Server {
  url: string;
  /** Every stdout line that parsed as JSON (the API's pino log). */
  logs: Record<string, unknown>[];
  /** User + system CPU time so far, in seconds (all threads). */
  cpuSeconds(): number;
  /** Peak resident set size so far (VmHWM), in MB (10^6 bytes). */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** /proc/<pid>/stat counts CPU time in clock ticks; USER_HZ is 100 on every Linux we run on. */
const TICKS_PER_SECOND = 100;

/**
 * Runs `command` in a process group of its own on `port` (a free one by default, given as PORT),
 * waits until `readyPath` answers, and finds the Node process at the bottom of the tree (pnpm → sh → node).
 */
export async function startServer(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined>; readyPath: string; port?: number },
): Promise<Server> {
  const port = options.port ?? (await freePort());
  const env = { ...options.env, PORT: String(port), HOST: "127.0.0.1" };
  const child = spawn(command, args, {
    cwd: options.cwd,
    env,
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  const name = [command, ...args].join(" ");
  const logs: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    const entry = line.startsWith("{") ? (JSON.parse(line) as Record<string, unknown>) : undefined;
    if (entry) logs.push(entry);
    // pino's warn and above, and what is neither JSON nor pnpm's "> script" banner, is for the person running the bench.
    if ((!entry && line.trim() && !line.startsWith("> ")) || Number(entry?.level) >= 40) {
      console.error(`${name}: ${line}`);
    }
  });
  const url = `http://127.0.0.1:${port}`;
  let stopping = false;
  child.once("exit", (code, signal) => {
    if (!stopping) console.error(`${name} exited with ${signal ?? `code ${code}`}`);
  });
  try {
    await waitForOk(url + options.readyPath, child);
  } catch (error) {
    await stopTree(child);
    throw error;
  }
  const pid = leafDescendant(child.pid as number);
  return {
    url,
    logs,
    cpuSeconds() {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name, which may contain spaces: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    },
    peakRssMb() {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      return (Number(match?.[1]) * 1024) / 1e6;
    },
    stop() {
      stopping = true;
      return stopTree(child, pid);
    },
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForOk(url: string, child: ChildProcess): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited with code ${child.exitCode}`);
    if ((await fetch(url).catch(() => undefined))?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${url} did not answer 200 within 30 s`);
}

/** The process at the bottom of the tree under `pid`: a launcher's chain (pnpm → sh → node) ends in the server. */
function leafDescendant(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return children === "" ? pid : leafDescendant(Number(children.split(" ")[0]));
}

/** SIGTERM to the server, as a process manager would send it (pnpm then exits); SIGKILL to the group after 5 s. */
async function stopTree(child: ChildProcess, serverPid = child.pid as number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const kill = (pid: number, signal: NodeJS.Signals) => {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  };
  kill(serverPid, "SIGTERM");
  const timer = setTimeout(() => kill(-(child.pid as number), "SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

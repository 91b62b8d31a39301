/**
 * API replicas as the container runs them: the built bundle, the command and environment read from
 * apps/api/Dockerfile (its final stage's ENV and CMD), on a loopback port of the test's choosing.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type ManagedProcess, startProcess } from "./processes";
import { waitForStatus } from "./wait";

export interface ContainerSpec {
  env: Record<string, string>;
  command: string[];
}

/** The final stage's `ENV KEY=value ...` lines and `CMD [...]` of a Dockerfile. */
export function readContainerSpec(dockerfile: string): ContainerSpec {
  const lines = readFileSync(dockerfile, "utf8").split("\n");
  const finalStage = lines.slice(lines.findLastIndex((line) => /^FROM\s/i.test(line)));
  const env: Record<string, string> = {};
  let command: string[] | undefined;
  for (const line of finalStage) {
    const [, instruction, rest = ""] = /^(ENV|CMD)\s+(.*)$/i.exec(line.trim()) ?? [];
    if (instruction?.toUpperCase() === "ENV") {
      for (const pair of rest.split(/\s+/)) {
        const [name, ...value] = pair.split("=");
        if (name && value.length > 0) env[name] = value.join("=");
      }
    } else if (instruction?.toUpperCase() === "CMD") {
      command = JSON.parse(rest) as string[];
    }
  }
  if (!command) throw new Error(`${dockerfile}: no CMD ["node", ...] in its final stage`);
  return { env, command };
}

/** apps/api's `start` script (`pnpm start:api`), split into words. */
export function readStartScript(apiDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(apiDir, "package.json"), "utf8"));
  return String(manifest.scripts.start).split(/\s+/).filter(Boolean);
}

export class Replica {
  process: ManagedProcess | undefined;
  readonly url: string;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly options: {
      apiDir: string;
      spec: ContainerSpec;
      env: Record<string, string>;
      logFile: string;
    },
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts it and resolves once /readyz answers 200. */
  async start(): Promise<void> {
    const [program, ...args] = this.options.spec.command;
    if (program !== "node") throw new Error(`the container's CMD must start with node, got ${program}`);
    const proc = startProcess(this.name, process.execPath, args, {
      cwd: this.options.apiDir,
      env: {
        PATH: process.env.PATH,
        ...this.options.spec.env,
        // On loopback here; 0.0.0.0 in the container.
        HOST: "127.0.0.1",
        PORT: String(this.port),
        ...this.options.env,
      },
      logFile: this.options.logFile,
    });
    this.process = proc;
    await waitForStatus(`${this.url}/readyz`, 200, {
      timeoutMs: 15_000,
      abandonIf: () => proc.exitCode(),
      describe: async () => (await readFile(this.options.logFile, "utf8")).split("\n").slice(-5).join("\n"),
    });
  }

  /** How many requests with an id starting `prefix` this replica logged as completed. */
  async countCompleted(prefix: string): Promise<number> {
    const log = await readFile(this.options.logFile, "utf8");
    let count = 0;
    for (const line of log.split("\n")) {
      if (line.includes(`"reqId":"${prefix}`) && line.includes('"msg":"request completed"')) count += 1;
    }
    return count;
  }
}

// The built API's start command, read from apps/api's `start` script, so `pnpm serve` and `pnpm bench`
// run the API exactly as `pnpm start:api` does, Node flags included.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface ApiStartCommand {
  /** This Node binary (the script's `node`). */
  command: string;
  /** The script's Node flags and entry point, relative to apps/api. */
  args: string[];
}

export function apiStartCommand(root: string): ApiStartCommand {
  const manifest = JSON.parse(readFileSync(join(root, "apps/api/package.json"), "utf8"));
  const [program, ...args] = String(manifest.scripts?.start ?? "")
    .split(/\s+/)
    .filter(Boolean);
  if (program !== "node" || args.length === 0 || args.some((arg) => /["'$&|;<>`]/.test(arg))) {
    throw new Error(
      `apps/api's start script must be a plain "node [flags] <entry>" command, got: ${manifest.scripts?.start}`,
    );
  }
  return { command: process.execPath, args };
}

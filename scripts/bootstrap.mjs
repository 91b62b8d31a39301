// Entry point of `npm start` and `npm test` on a machine that has only Node and npm:
// installs the workspace with the pinned pnpm (through npx when pnpm is not on PATH),
// then runs the given root script with it. Plain JavaScript: nothing is installed yet.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const script = process.argv[2];
const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  console.error(
    `Node ${process.versions.node} is too old: this project needs Node 22.12 or newer (24 LTS in .nvmrc).`,
  );
  process.exit(1);
}

const { packageManager } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const pnpmVersion = packageManager.replace(/^pnpm@/, "");

// Ctrl-C reaches every process of the terminal's group: pnpm serve stops its children and exits 0,
// and this process must wait for that rather than die of the signal.
process.on("SIGINT", () => {});

/** Runs `command args` with this terminal; its exit status (1 when it could not run or was killed). */
function run(command, args) {
  const result = spawnSync(command, args, { stdio: "inherit", shell: process.platform === "win32" });
  if (result.error) console.error(`Could not run ${command}: ${result.error.message}`);
  return result.status ?? 1;
}

const installed = spawnSync("pnpm", ["--version"], { encoding: "utf8" });
const pnpm =
  installed.status === 0 && installed.stdout.trim() === pnpmVersion
    ? ["pnpm", []]
    : ["npx", ["--yes", `pnpm@${pnpmVersion}`]];

const frozen = process.env.CI ? ["--frozen-lockfile"] : [];
for (const args of [
  ["install", ...frozen],
  ["run", script],
]) {
  const status = run(pnpm[0], [...pnpm[1], ...args]);
  if (status !== 0) process.exit(status);
}

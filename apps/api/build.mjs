// Bundles the API and its workspace packages (which export TypeScript source) into dist/server.js
// (or the file given as the first argument). The API's own dependencies stay external and load from
// node_modules, as published; what only the workspace packages depend on (jose) is bundled.
// undici (packages/auth's AUTH_CA_FILE agent) is listed as an API dependency so it stays external:
// it is CommonJS requiring node: built-ins, which an ESM bundle cannot do.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { dependencies } = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8"));
const external = Object.keys(dependencies).filter((name) => !dependencies[name].startsWith("workspace:"));

await build({
  entryPoints: ["src/server.ts"],
  outfile: process.argv[2] ?? "dist/server.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  sourcemap: true,
  external,
  logLevel: "warning",
});

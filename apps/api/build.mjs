// Bundles the API and its workspace packages (which export TypeScript source) into dist/server.js
// (or the file given as the first argument). The API's own dependencies stay external and load from
// node_modules, except @trpc/server; what only the workspace packages depend on (jose) is bundled.
//
// @trpc/server is compiled from the TypeScript source it publishes (its package's src/), for the
// Node versions this project supports. Its dist is compiled for older runtimes: object spread
// becomes a helper (`_objectSpread2`) that copies property by property, and tRPC spreads its options
// in every middleware step. `pnpm bench` measured tRPC private at about 0.55 × REST private with the
// dist and 0.74-0.82 × with the source (full runs). Types still come from its published .d.ts files.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const { dependencies } = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8"));
const trpcSource = join(dirname(createRequire(import.meta.url).resolve("@trpc/server/package.json")), "src");
const bundleTrpcSource = existsSync(join(trpcSource, "index.ts"));
if (!bundleTrpcSource) {
  console.warn(
    `${trpcSource} is missing (a tRPC release without its source?): using its dist, which is slower.`,
  );
}
const external = Object.keys(dependencies).filter(
  (name) => !dependencies[name].startsWith("workspace:") && !(bundleTrpcSource && name === "@trpc/server"),
);

await build({
  entryPoints: ["src/server.ts"],
  outfile: process.argv[2] ?? "dist/server.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  sourcemap: true,
  external,
  // "@trpc/server/http" resolves to src/http.ts, "@trpc/server/adapters/fastify" to its folder's index.ts.
  alias: bundleTrpcSource ? { "@trpc/server": trpcSource } : {},
  logLevel: "warning",
});

/**
 * The web image's nginx, outside a container: apps/web/nginx/web-config.envsh sourced by sh with
 * the container's variables (as the image's entrypoint sources it), then templates/web.conf.template
 * rendered with what it exported, serving the built SPA.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { renderTemplate, startNginx } from "./nginx";

/**
 * Sources web-config.envsh with `variables`: the environment it exports, or the one line it printed
 * naming the bad variable.
 */
export function sourceWebConfig(
  repoRoot: string,
  variables: Record<string, string>,
): { env: Record<string, string> } | { error: string } {
  const script = join(repoRoot, "apps/web/nginx/web-config.envsh");
  const run = spawnSync("sh", ["-c", '. "$0" && env -0', script], {
    env: { PATH: process.env.PATH, ...variables },
    encoding: "utf8",
  });
  if (run.status !== 0) return { error: run.stderr.trim() };
  const env = Object.fromEntries(
    run.stdout
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
  return { env };
}

export async function startWebServer(options: {
  repoRoot: string;
  dir: string;
  port: number;
  variables: Record<string, string>;
}) {
  const sourced = sourceWebConfig(options.repoRoot, {
    ...options.variables,
    WEB_LISTEN: `127.0.0.1:${options.port}`,
    WEB_ROOT: join(options.repoRoot, "apps/web/dist"),
  });
  if ("error" in sourced) throw new Error(sourced.error);
  const template = await readFile(
    join(options.repoRoot, "apps/web/nginx/templates/web.conf.template"),
    "utf8",
  );
  return startNginx({
    name: "nginx-web",
    dir: options.dir,
    port: options.port,
    config: renderTemplate(template, sourced.env),
    readyPath: "/config.json",
  });
}

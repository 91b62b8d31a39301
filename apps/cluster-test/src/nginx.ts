/**
 * Debian's nginx running the repository's deploy/nginx configuration on loopback: the template
 * rendered as nginx's official image renders it, around a main config that keeps every file nginx
 * writes (pid, logs, temp bodies) in a folder of the test's own.
 */
import { statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findProgram, type ManagedProcess, startProcess } from "./processes";
import { waitForStatus } from "./wait";

const NGINX_CANDIDATES = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"];
const NGINX_MIME_TYPES = ["/etc/nginx/mime.types", "/usr/local/nginx/conf/mime.types"];

/**
 * What nginx's image does with /etc/nginx/templates/*.template (envsubst of the variables that are
 * set): each `${NAME}` with a value in `variables` is replaced, nginx's own `$variables` are not.
 * A line naming `${API_UPSTREAM}` is repeated for each address in `upstreams`, as compose's DNS
 * answer for the `api` service gives nginx one server per replica.
 */
export function renderTemplate(
  template: string,
  variables: Record<string, string>,
  upstreams?: { name: string; addresses: string[] },
): string {
  const lines = template
    .split("\n")
    .flatMap((line) =>
      upstreams && line.includes(`\${${upstreams.name}}`)
        ? upstreams.addresses.map((address) => line.replaceAll(`\${${upstreams.name}}`, address))
        : [line],
    );
  return lines
    .join("\n")
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => variables[name] ?? match);
}

export interface RunningNginx {
  url: string;
  process: ManagedProcess;
}

/** Renders deploy/nginx/templates/api-lb.conf.template for `apiPorts` and starts nginx on `port`. */
export async function startLoadBalancer(options: {
  name: string;
  repoRoot: string;
  dir: string;
  port: number;
  apiPorts: number[];
}): Promise<RunningNginx> {
  const template = await readFile(
    join(options.repoRoot, "deploy/nginx/templates/api-lb.conf.template"),
    "utf8",
  );
  const config = renderTemplate(
    template,
    { NGINX_LISTEN: `127.0.0.1:${options.port}` },
    { name: "API_UPSTREAM", addresses: options.apiPorts.map((apiPort) => `127.0.0.1:${apiPort}`) },
  );
  return startNginx({ ...options, config, readyPath: "/nginx-health" });
}

/**
 * Starts nginx with `config` as its only conf.d file, in `dir`, and resolves once `readyPath`
 * answers 200.
 */
export async function startNginx(options: {
  name: string;
  dir: string;
  port: number;
  config: string;
  readyPath: string;
}): Promise<RunningNginx> {
  const { dir } = options;
  await mkdir(join(dir, "conf.d"), { recursive: true });
  await writeFile(join(dir, "conf.d", `${options.name}.conf`), options.config);
  // Stands in for the image's /etc/nginx/nginx.conf: MIME types, then conf.d/*.conf inside http {}.
  const runningAsRoot = process.getuid?.() === 0;
  const mimeTypes = NGINX_MIME_TYPES.find((path) => statSync(path, { throwIfNoEntry: false }));
  await writeFile(
    join(dir, "nginx.conf"),
    [
      // As root, nginx's workers switch to an unprivileged user, as in the image.
      runningAsRoot ? "user nobody nogroup;" : "",
      "worker_processes 2;",
      `pid ${join(dir, "nginx.pid")};`,
      `error_log ${join(dir, "error.log")} warn;`,
      "events { worker_connections 4096; }",
      "http {",
      mimeTypes ? `  include ${mimeTypes};` : "",
      "  default_type application/octet-stream;",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
        (kind) => `  ${kind}_temp_path ${join(dir, `${kind}_temp`)};`,
      ),
      `  include ${join(dir, "conf.d")}/*.conf;`,
      "}",
      "",
    ].join("\n"),
  );
  const nginx = startProcess(
    options.name,
    findProgram("nginx", NGINX_CANDIDATES),
    ["-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf"), "-g", "daemon off;"],
    { cwd: dir, env: { PATH: process.env.PATH }, logFile: join(dir, "nginx.log"), cleanupSignal: "SIGTERM" },
  );
  const url = `http://127.0.0.1:${options.port}`;
  await waitForStatus(`${url}${options.readyPath}`, 200, {
    timeoutMs: 10_000,
    abandonIf: () => nginx.exitCode(),
    describe: async () =>
      `${options.name}: ${await readFile(join(dir, "error.log"), "utf8").catch(() => "")}`,
  });
  return { url, process: nginx };
}

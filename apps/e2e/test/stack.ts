import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildApp } from "@quickstart/api";
import { createAccessTokenVerifier } from "@quickstart/auth";
import { type ClientCredentials, startIssuer, WEB_CLIENT_ID } from "@quickstart/issuer";
import { findFreePort } from "./free-port";

const WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));
const VITE_BIN = join(WEB_DIR, "node_modules/vite/bin/vite.js");
const AUDIENCE = "https://quickstarts/api";

export interface Stack {
  webUrl: string;
  apiUrl: string;
  issuerUrl: string;
  /** The issuer's machine client, which the API's docs page may use from `apiUrl`. */
  machineClient: ClientCredentials;
  stop: () => Promise<void>;
}

/**
 * The whole quickstart on free loopback ports: the real issuer, the real API and the production
 * build of the SPA behind `vite preview` (with its security headers). URLs use `localhost`, the
 * host of the issuer identifier; the servers bind 127.0.0.1.
 */
export async function startStack(log: (line: string) => void = console.log): Promise<Stack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => log(`cleanup: ${error}`));
  };

  try {
    const tempDir = await mkdtemp(join(tmpdir(), "quickstart-e2e-"));
    cleanups.push(() => rm(tempDir, { recursive: true, force: true }));

    // The SPA's origin (its redirect URI) and the API's (its docs page may get tokens) must be
    // known before the issuer starts.
    const webPort = await findFreePort();
    const webUrl = `http://localhost:${webPort}`;
    const apiPort = await findFreePort();
    const apiUrl = `http://localhost:${apiPort}`;

    const issuer = await startIssuer({
      port: 0,
      host: "127.0.0.1",
      audience: AUDIENCE,
      webOrigins: [webUrl],
      apiOrigins: [apiUrl],
      dataDir: join(tempDir, "issuer"),
      logger: { info: () => {}, warn: log, error: log },
    });
    cleanups.push(() => issuer.close());

    const api = await buildApp({
      verifier: createAccessTokenVerifier({ issuer: issuer.url, audience: AUDIENCE }),
      corsOrigins: "*",
    });
    cleanups.push(() => api.close());
    await api.listen({ host: "127.0.0.1", port: apiPort });

    const env = {
      ...process.env,
      AUTH_ISSUER: issuer.url,
      API_AUDIENCE: AUDIENCE,
      API_URL: apiUrl,
      WEB_CLIENT_ID,
      WEB_PORT: String(webPort),
    };
    const outDir = join(tempDir, "web");
    await run(
      process.execPath,
      [VITE_BIN, "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"],
      env,
    );

    const preview = spawn(
      process.execPath,
      [
        VITE_BIN,
        "preview",
        "--outDir",
        outDir,
        "--host",
        "127.0.0.1",
        "--port",
        String(webPort),
        "--strictPort",
      ],
      { cwd: WEB_DIR, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    cleanups.push(() => stopProcess(preview));
    await waitForHttp(`${webUrl}/`, preview);

    return { webUrl, apiUrl, issuerUrl: issuer.url, machineClient: issuer.machineClient, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs a command in apps/web; rejects with its output if it fails. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: WEB_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${args.slice(1, 2).join(" ")} failed (exit ${code}):\n${output}`)),
    );
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vite preview exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`vite preview did not answer at ${url} within ${timeoutMs} ms:\n${output}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export function assertChromiumInstalled(executablePath: string): void {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. The browser test uses Debian's Chromium: ` +
        "install it with `sudo apt-get install chromium`, or set CHROMIUM_PATH to a Chromium or Chrome binary.",
    );
  }
}

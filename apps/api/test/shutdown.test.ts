/**
 * Graceful shutdown of the production bundle, as its own process: SIGTERM turns /readyz to 503 at
 * once while requests are still served for SHUTDOWN_DELAY_MS, a request in flight is answered
 * before the process exits 0, and one that outlasts SHUTDOWN_TIMEOUT_MS is logged and abandoned
 * with exit code 1. The request in flight is a real one: a protected call waiting for a slow issuer.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const apiDir = join(import.meta.dirname, "..");
const bundle = join(apiDir, "dist", `server.shutdown-test-${process.pid}.js`);

let issuer: TestIssuer;
const started: ChildProcess[] = [];

beforeAll(() => {
  execFileSync(process.execPath, ["build.mjs", bundle], { cwd: apiDir, stdio: "pipe" });
}, 30_000);
afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
  }
  await issuer?.close();
});
afterAll(() => {
  for (const file of [bundle, `${bundle}.map`]) rmSync(file, { force: true });
});

interface RunningApi {
  baseUrl: string;
  /** Every JSON line logged so far. */
  logs: Array<Record<string, unknown>>;
  exitCode: Promise<number | null>;
  process: ChildProcess;
}

async function startApi(env: Record<string, string>): Promise<RunningApi> {
  issuer = await startTestIssuer();
  const child = spawn(process.execPath, [bundle], {
    cwd: apiDir,
    env: {
      PATH: process.env.PATH,
      AUTH_ISSUER: issuer.issuer,
      API_AUDIENCE: issuer.audience,
      HOST: "127.0.0.1",
      PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  const logs: Array<Record<string, unknown>> = [];
  let output = "";
  const exitCode = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      output += chunk;
      const lines = output.split("\n");
      output = lines.pop() ?? "";
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        const address = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(String(entry.msg))?.[1];
        if (address) resolve(address);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    void exitCode.then((code) => reject(new Error(`the API exited with ${code}: ${output}`)));
  });
  return { baseUrl, logs, exitCode, process: child };
}

/** Resolves once the API has logged the arrival of a request for `url`. */
const arrived = (api: RunningApi, url: string) =>
  expect
    .poll(() => api.logs.some((entry) => (entry.req as { url?: string } | undefined)?.url === url))
    .toBe(true);

const statusOf = async (url: string, init?: RequestInit) => (await fetch(url, init)).status;

// Each test starts a process and waits for it to exit: slow on a busy machine.
describe("graceful shutdown of the built API", { timeout: 20_000 }, () => {
  it("answers /healthz and /readyz without a token, and does not log them at info", async () => {
    const api = await startApi({ LOG_LEVEL: "info" });
    const health = await fetch(`${api.baseUrl}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok" }]);
    const ready = await fetch(`${api.baseUrl}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", keys: "not_loaded" }]);
    // A request that is logged, so we know the log has caught up with the two above.
    expect(await statusOf(`${api.baseUrl}/api/public`)).toBe(200);
    await expect.poll(() => api.logs.some((entry) => entry.msg === "request completed")).toBe(true);
    const urls = api.logs.map((entry) => (entry.req as { url?: string } | undefined)?.url);
    expect(urls).toContain("/api/public");
    expect(urls).not.toContain("/healthz");
    expect(urls).not.toContain("/readyz");
  });

  it("drains on SIGTERM: /readyz 503 at once, serves through the delay, finishes in-flight work, exits 0", async () => {
    const api = await startApi({ SHUTDOWN_DELAY_MS: "1500", SHUTDOWN_TIMEOUT_MS: "5000" });
    const token = await issuer.sign();
    // The first protected call fetches the issuer's keys: slow, so it is still in flight at SIGTERM.
    issuer.delayMs = 1000;
    const inFlight = fetch(`${api.baseUrl}/api/private`, { headers: { authorization: `Bearer ${token}` } });
    await arrived(api, "/api/private");

    const signalledAt = performance.now();
    api.process.kill("SIGTERM");
    await expect.poll(() => statusOf(`${api.baseUrl}/readyz`), { interval: 20 }).toBe(503);
    // Well before the delay is over (it is the process's first act on SIGTERM; the bound allows a busy machine).
    expect(performance.now() - signalledAt).toBeLessThan(1000);
    const readyz = await fetch(`${api.baseUrl}/readyz`);
    expect(await readyz.json()).toEqual({ status: "draining" });
    // Still serving, for the load balancer that has not noticed yet.
    expect(await statusOf(`${api.baseUrl}/api/public`)).toBe(200);

    expect((await inFlight).status).toBe(200);
    expect(await api.exitCode).toBe(0);
    // Not before the delay was over.
    expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(1500);
    expect(api.logs.map((entry) => entry.msg)).toContain("Shut down: every request answered");
  });

  it("drains on Ctrl-C delivered twice (from the terminal and forwarded by pnpm), and exits 0", async () => {
    // A delay long enough for /readyz's 503 to be seen on a busy machine.
    const api = await startApi({ SHUTDOWN_DELAY_MS: "2000", SHUTDOWN_TIMEOUT_MS: "5000" });
    api.process.kill("SIGINT");
    api.process.kill("SIGINT");
    await expect.poll(() => statusOf(`${api.baseUrl}/readyz`), { interval: 20 }).toBe(503);
    expect(await api.exitCode).toBe(0);
    expect(api.logs.find((entry) => String(entry.msg).startsWith("Shutting down"))).toMatchObject({
      signal: "SIGINT",
    });
  });

  it("serves /metrics on METRICS_PORT only, prints its URL, and closes it with the API", async () => {
    const api = await startApi({ METRICS_PORT: "0" });
    await expect.poll(() => api.logs.some((entry) => entry.msg === "API ready")).toBe(true);
    const metricsUrl = String(api.logs.find((entry) => entry.msg === "API ready")?.metricsUrl);
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(metricsUrl).not.toContain(new URL(api.baseUrl).port);
    const token = await issuer.sign();
    expect(
      await statusOf(`${api.baseUrl}/api/private`, { headers: { authorization: `Bearer ${token}` } }),
    ).toBe(200);
    const exposition = await (await fetch(metricsUrl)).text();
    expect(exposition).toContain('auth_decisions_total{transport="rest",result="allowed",code=""} 1');
    expect(await statusOf(`${api.baseUrl}/metrics`)).toBe(404);

    api.process.kill("SIGTERM");
    expect(await api.exitCode).toBe(0);
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });

  it("keeps metrics off without METRICS_PORT", async () => {
    const api = await startApi({});
    await expect.poll(() => api.logs.some((entry) => entry.msg === "API ready")).toBe(true);
    expect(api.logs.find((entry) => entry.msg === "API ready")).not.toHaveProperty("metricsUrl");
    expect(api.logs.filter((entry) => String(entry.msg).startsWith("Server listening"))).toHaveLength(1);
  });

  it("abandons what outlasts SHUTDOWN_TIMEOUT_MS, logs it and exits 1", async () => {
    const api = await startApi({ SHUTDOWN_DELAY_MS: "0", SHUTDOWN_TIMEOUT_MS: "500" });
    const token = await issuer.sign();
    issuer.delayMs = 4000;
    const inFlight = fetch(`${api.baseUrl}/api/private`, {
      headers: { authorization: `Bearer ${token}`, "x-request-id": "slow-one" },
    }).catch((error: unknown) => error);
    await arrived(api, "/api/private");

    const signalledAt = performance.now();
    api.process.kill("SIGTERM");
    expect(await api.exitCode).toBe(1);
    expect(performance.now() - signalledAt).toBeLessThan(3000);
    expect(await inFlight).toBeInstanceOf(Error);
    const timedOut = api.logs.find((entry) => String(entry.msg).startsWith("Shutdown timed out"));
    expect(timedOut).toMatchObject({
      level: 50,
      abandoned: [{ method: "GET", url: "/api/private", requestId: "slow-one" }],
    });
  });
});

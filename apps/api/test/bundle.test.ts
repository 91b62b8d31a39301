/**
 * The production bundle that `pnpm start:api` runs: built by build.mjs, started as its own process
 * on 127.0.0.1, and called over HTTP through REST and tRPC's httpLink and httpBatchLink; two of
 * them as replicas sharing a real redis-server as their DPoP replay store.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createDpopKey, startTestIssuer, startTestRedis, type TestIssuer } from "@quickstart/auth/testing";
import { createTRPCClient, httpBatchLink, httpLink, type TRPCClientError, type TRPCLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/messages";
import type { AppRouter } from "../src/root";

const apiDir = join(import.meta.dirname, "..");
// Next to dist/server.js, so its external dependencies resolve from apps/api/node_modules and it
// looks for the root .env where the real bundle does.
const bundle = join(apiDir, "dist", `server.bundle-test-${process.pid}.js`);

let issuer: TestIssuer;
/** Every bundle process started, stopped after all tests. */
const started: ChildProcess[] = [];
let baseUrl: string;

/** The bundle's environment: the test issuer, a free port on 127.0.0.1, logs at info. */
const bundleEnv = () => ({
  PATH: process.env.PATH,
  AUTH_ISSUER: issuer.issuer,
  API_AUDIENCE: issuer.audience,
  HOST: "127.0.0.1",
  PORT: "0",
  LOG_LEVEL: "info",
});

/** Starts the bundle on a free port and resolves with the address Fastify logs. */
function startBundle(entry: string, env: NodeJS.ProcessEnv): Promise<string> {
  const api = spawn(process.execPath, [entry], { cwd: apiDir, env, stdio: ["ignore", "pipe", "pipe"] });
  started.push(api);
  return new Promise((resolve, reject) => {
    let output = "";
    api.stdout?.on("data", (chunk: Buffer) => {
      output += chunk;
      const address = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1];
      if (address) resolve(address);
    });
    api.stderr?.on("data", (chunk: Buffer) => {
      output += chunk;
    });
    api.once("exit", (code) => reject(new Error(`the bundle exited with ${code}: ${output}`)));
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, ["build.mjs", bundle], { cwd: apiDir, stdio: "pipe" });
  issuer = await startTestIssuer();
  baseUrl = await startBundle(bundle, bundleEnv());
}, 30_000);

afterAll(async () => {
  for (const api of started) {
    if (api.exitCode !== null || api.signalCode !== null) continue;
    const exited = new Promise((resolve) => api.once("exit", resolve));
    api.kill("SIGTERM");
    await exited;
  }
  await issuer?.close();
  for (const file of [bundle, `${bundle}.map`]) rmSync(file, { force: true });
});

const client = (
  link: (options: { url: string; headers: Record<string, string> }) => TRPCLink<AppRouter>,
  token?: string,
) =>
  createTRPCClient<AppRouter>({
    links: [link({ url: `${baseUrl}/trpc`, headers: token ? { authorization: `Bearer ${token}` } : {} })],
  });

/** The quickstart's error code a tRPC call failed with, or the data it returned. */
async function outcome(call: Promise<{ message: string }>): Promise<string> {
  try {
    return (await call).message;
  } catch (error) {
    return String((error as TRPCClientError<AppRouter>).data?.auth?.code);
  }
}

describe("the production bundle", () => {
  it("loads @trpc/server's published build from node_modules rather than bundling a copy", () => {
    const source = readFileSync(bundle, "utf8");
    expect(source).toMatch(/from "@trpc\/server\/adapters\/fastify"/);
    expect(source).not.toContain("node_modules/@trpc/server/");
  });

  it("refuses to start without its configuration, naming each missing variable, without a stack", () => {
    // Empty values count as unset and keep a developer's .env from filling them in.
    const run = spawnSync(process.execPath, [bundle], {
      cwd: apiDir,
      env: { PATH: process.env.PATH, API_AUDIENCE: "", AUTHOK_DOMAIN: "", AUTH_ISSUER: "" },
      encoding: "utf8",
      timeout: 10_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("Invalid configuration: API_AUDIENCE is required");
    expect(run.stderr).toContain("Invalid configuration: AUTHOK_DOMAIN or AUTH_ISSUER is required");
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it("answers the REST mirrors", async () => {
    const token = await issuer.sign();
    const get = async (path: string, authorization?: string) => {
      const response = await fetch(baseUrl + path, { headers: authorization ? { authorization } : {} });
      return [
        response.status,
        ((await response.json()) as { message?: string; code?: string }).message ?? "",
      ];
    };
    expect(await get("/api/public")).toEqual([200, MESSAGES.public]);
    expect(await get("/api/private", `Bearer ${token}`)).toEqual([200, MESSAGES.private]);
    expect(await get("/api/private-scoped", `Bearer ${token}`)).toEqual([200, MESSAGES.privateScoped]);
    expect((await get("/api/private"))[0]).toBe(401);
  });

  it.each([
    ["httpLink", httpLink],
    ["httpBatchLink", httpBatchLink],
  ] as const)("answers tRPC calls through %s", async (_name, link) => {
    const reader = await issuer.sign();
    const noScope = await issuer.sign({ scope: "openid" });
    const calls = (token?: string) => {
      const trpc = client(link, token);
      return Promise.all([
        outcome(trpc.public.query()),
        outcome(trpc.private.query()),
        outcome(trpc.privateScoped.query()),
      ]);
    };
    expect(await calls(reader)).toEqual([MESSAGES.public, MESSAGES.private, MESSAGES.privateScoped]);
    expect(await calls(noScope)).toEqual([MESSAGES.public, MESSAGES.private, "Unauthorized"]);
    expect(await calls()).toEqual([
      MESSAGES.public,
      "authorization_header_missing",
      "authorization_header_missing",
    ]);
  });
});

// Starting processes takes seconds on a busy machine.
describe("two bundles as replicas behind one public URL, sharing Redis (REDIS_URL)", {
  timeout: 30_000,
}, () => {
  const env = () => ({
    ...bundleEnv(),
    // What a load balancer in front of both would be reached at.
    API_PUBLIC_URL: "https://api.example.test",
  });

  it("refuses a DPoP proof replayed against the other replica", async () => {
    const redis = await startTestRedis();
    try {
      const [first, second] = await Promise.all([
        startBundle(bundle, { ...env(), REDIS_URL: redis.url }),
        startBundle(bundle, { ...env(), REDIS_URL: redis.url }),
      ]);
      const key = await createDpopKey();
      const token = await issuer.sign({ cnf: { jkt: key.thumbprint } });
      const headers = {
        authorization: `DPoP ${token}`,
        dpop: await key.proof({
          htm: "GET",
          htu: "https://api.example.test/api/private",
          accessToken: token,
        }),
      };
      expect((await fetch(`${first}/api/private`, { headers })).status).toBe(200);
      const replay = await fetch(`${second}/api/private`, { headers });
      expect([replay.status, ((await replay.json()) as { description: string }).description]).toEqual([
        401,
        "The DPoP proof has already been used",
      ]);
    } finally {
      await redis.stop();
    }
  });

  it("refuses to start when REDIS_URL names no Redis, in one line naming the variable, without a stack", async () => {
    const redis = await startTestRedis();
    await redis.stop();
    const run = spawnSync(process.execPath, [bundle], {
      cwd: apiDir,
      env: { ...env(), REDIS_URL: redis.url },
      encoding: "utf8",
      timeout: 25_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^Invalid configuration: REDIS_URL: cannot connect to Redis \(connect ECONNREFUSED/m,
    );
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});

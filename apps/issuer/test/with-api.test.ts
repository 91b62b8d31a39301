// The issuer's tokens against the real API (apps/api), and the `pnpm call` / `pnpm get-token` programs.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildApp } from "@quickstart/api";
import { createAccessTokenVerifier } from "@quickstart/auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningIssuer } from "../src/index";
import { AUDIENCE, postToken, signIn, startEmbeddedIssuer, tempDataDir } from "./helpers";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

async function startApi(issuerUrl: string) {
  const app = await buildApp({
    verifier: createAccessTokenVerifier({ issuer: issuerUrl, audience: AUDIENCE }),
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url, close: () => app.close() };
}

async function machineToken(issuer: Pick<RunningIssuer, "url" | "machineClient">) {
  const response = await postToken(issuer, {
    grant_type: "client_credentials",
    client_id: issuer.machineClient.clientId,
    client_secret: issuer.machineClient.clientSecret,
    audience: AUDIENCE,
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

const get = (url: string, token?: string) =>
  fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

// The script tests start tsx, which takes seconds on a busy machine.
describe("with the real API", { timeout: 30_000 }, () => {
  let issuer: Awaited<ReturnType<typeof startEmbeddedIssuer>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  beforeAll(async () => {
    issuer = await startEmbeddedIssuer();
    api = await startApi(issuer.url);
  });
  afterAll(async () => {
    await api?.close();
    await issuer?.close();
  });

  /** The environment `pnpm call` and `pnpm get-token` read to get the issuer's machine token. */
  const scriptEnv = () => ({
    ...process.env,
    AUTH_ISSUER: issuer.url,
    API_AUDIENCE: AUDIENCE,
    AUTH_CLIENT_ID: issuer.machineClient.clientId,
    AUTH_CLIENT_SECRET: issuer.machineClient.clientSecret,
  });

  it("accepts the machine token on /api/private and /api/private-scoped", async () => {
    const token = await machineToken(issuer);
    expect((await get(`${api.url}/api/private`)).status).toBe(401);
    expect((await get(`${api.url}/api/private`, token)).status).toBe(200);
    expect((await get(`${api.url}/api/private-scoped`, token)).status).toBe(200);
  });

  it("accepts alice's token for both, and bob's only for /api/private (403 on the scoped one)", async () => {
    const alice = (
      await signIn(issuer, { username: "alice", password: "wonderland", extra: { audience: AUDIENCE } })
    ).body;
    const bob = (
      await signIn(issuer, { username: "bob", password: "builder", extra: { audience: AUDIENCE } })
    ).body;
    expect((await get(`${api.url}/api/private-scoped`, alice.access_token)).status).toBe(200);
    expect((await get(`${api.url}/api/private`, bob.access_token)).status).toBe(200);
    expect((await get(`${api.url}/api/private-scoped`, bob.access_token)).status).toBe(403);
  });

  it("`pnpm call` prints each procedure's result or typed auth error", async () => {
    const { stdout } = await run(tsx, ["scripts/call.ts"], {
      cwd: repoRoot,
      env: { ...scriptEnv(), API_URL: api.url },
    });
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^public: 200 \{"message":".+"\}$/);
    expect(lines[1]).toMatch(/^private: 200 \{"message":".+"\}$/);
    expect(lines[2]).toMatch(/^privateScoped: 200 \{"message":".+"\}$/);
    expect(lines[3]).toMatch(/^private \(no token\): 401 authorization_header_missing: /);
  });

  it("`pnpm call --dpop` binds the token to its key, signs each call, and shows it refused as Bearer", async () => {
    const { stdout } = await run(tsx, ["scripts/call.ts", "--dpop"], {
      cwd: repoRoot,
      // The API's default public URL, which the proofs' htu must match.
      env: { ...scriptEnv(), API_URL: `http://localhost:${new URL(api.url).port}` },
    });
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^token: DPoP, bound to key [\w-]{43}$/);
    expect(lines[2]).toMatch(/^private: 200 \{"message":".+"\}$/);
    expect(lines[3]).toMatch(/^privateScoped: 200 \{"message":".+"\}$/);
    expect(lines[5]).toBe(
      "private (token as Bearer): 401 invalid_dpop_proof: The access token is bound to a DPoP key: send it with the DPoP scheme and a DPoP proof",
    );
  });

  it("`pnpm --silent get-token` prints only the token; errors go to stderr with exit 1", async () => {
    const env = scriptEnv();
    const { stdout } = await run(tsx, ["scripts/get-token.ts"], { cwd: repoRoot, env });
    const token = stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect((await get(`${api.url}/api/private-scoped`, token)).status).toBe(200);

    const failed = await run(tsx, ["scripts/get-token.ts"], {
      cwd: repoRoot,
      env: { ...env, AUTH_CLIENT_SECRET: "wrong" },
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1, stdout: "" });
    expect((failed as { stderr: string }).stderr).toContain("invalid_client");
  });
});

describe("across an issuer restart with the same data directory", () => {
  it("a token issued before the restart is still accepted after it", async () => {
    const { dataDir, remove } = await tempDataDir();
    const first = await startEmbeddedIssuer({ dataDir });
    const token = await machineToken(first);
    await first.close();

    // Same port, so the same issuer identifier.
    const second = await startEmbeddedIssuer({ dataDir, port: first.port });
    const api = await startApi(second.url);
    try {
      expect(second.machineClient).toEqual(first.machineClient);
      expect((await get(`${api.url}/api/private-scoped`, token)).status).toBe(200);
    } finally {
      await api.close();
      await second.close();
      await remove();
    }
  });
});

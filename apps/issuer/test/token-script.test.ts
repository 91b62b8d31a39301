// `pnpm get-token` against a real HTTPS issuer whose certificate a private CA signed, with the CA
// given only in a `.env` file (the script runs in a temp directory holding that `.env`).
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createAccessTokenVerifier } from "@quickstart/auth";
import {
  createTestCertificates,
  startTestIssuer,
  TEST_MACHINE_CLIENT,
  type TestCertificates,
  type TestIssuer,
} from "@quickstart/auth/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));
const getTokenScript = join(repoRoot, "scripts/get-token.ts");
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** The test runner's environment without anything that configures the script. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !/^(AUTH_|AUTHOK_|API_AUDIENCE$|NODE_EXTRA_CA_CERTS$|ISSUER_)/.test(name),
  ),
);

let certificates: TestCertificates;
let issuer: TestIssuer;
let workDir: string;
beforeAll(async () => {
  certificates = await createTestCertificates();
  issuer = await startTestIssuer({ tls: certificates });
  workDir = await mkdtemp(join(tmpdir(), "quickstart-get-token-"));
});
afterAll(async () => {
  await issuer?.close();
  await certificates?.remove();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Runs the script in `workDir` with this `.env`; resolves with its exit code and output. */
async function getTokenWithDotEnv(dotEnv: Record<string, string>) {
  await writeFile(
    join(workDir, ".env"),
    Object.entries(dotEnv)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(""),
  );
  return run(tsx, [getTokenScript], { cwd: workDir, env: cleanEnv })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((error: { code: number; stdout: string; stderr: string }) => error);
}

const issuerDotEnv = () => ({
  AUTH_ISSUER: issuer.issuer,
  API_AUDIENCE: issuer.audience,
  AUTH_CLIENT_ID: TEST_MACHINE_CLIENT.clientId,
  AUTH_CLIENT_SECRET: TEST_MACHINE_CLIENT.clientSecret,
});

// Each test starts a tsx process or two, which takes seconds on a busy machine.
describe("get-token with a private CA", { timeout: 30_000 }, () => {
  it("gets a token when AUTH_CA_FILE is set in .env only", async () => {
    const result = await getTokenWithDotEnv({ ...issuerDotEnv(), AUTH_CA_FILE: certificates.caFile });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const token = result.stdout.trim();
    expect(token).toMatch(JWT);
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, caFile: certificates.caFile });
    await expect(verifier.verify(token)).resolves.toMatchObject({ claims: { iss: issuer.issuer } });
    verifier.close();
  });

  it("without AUTH_CA_FILE says it is TLS and how to fix it, not that the issuer is down", async () => {
    const result = await getTokenWithDotEnv(issuerDotEnv());
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr.trim()).toMatch(
      /^Cannot reach https:\/\/127\.0\.0\.1:\d+\/oauth\/token: TLS: .+ \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); set AUTH_CA_FILE to your issuer's CA certificate$/,
    );
  });

  it("names AUTH_CA_FILE when the file cannot be read", async () => {
    const missing = join(workDir, "no-such-ca.pem");
    const result = await getTokenWithDotEnv({ ...issuerDotEnv(), AUTH_CA_FILE: missing });
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr.trim()).toBe(`AUTH_CA_FILE ${missing} cannot be read (ENOENT)`);
  });

  it("suggests starting the issuer only when the connection is refused", async () => {
    const stopped = await startTestIssuer();
    await stopped.close();
    const result = await getTokenWithDotEnv({ ...issuerDotEnv(), AUTH_ISSUER: stopped.issuer });
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr.trim()).toMatch(
      /\(connect ECONNREFUSED .+\)\. Is the issuer running \(pnpm serve\)\?$/,
    );
  });
});

describe("pnpm get-token", { timeout: 60_000 }, () => {
  it("is the root script's name (pnpm's own `token` command is not): prints a token", async () => {
    const http = await startTestIssuer();
    try {
      const env = { ...cleanEnv, ...issuerDotEnv(), AUTH_ISSUER: http.issuer, API_AUDIENCE: http.audience };
      const plain = await run("pnpm", ["get-token"], { cwd: repoRoot, env });
      expect(plain.stdout.trim().split("\n").at(-1)).toMatch(JWT);
      const silent = await run("pnpm", ["--silent", "get-token"], { cwd: repoRoot, env });
      const token = silent.stdout.trim();
      expect(token).toMatch(JWT); // only the token, as the README's curl needs
      const verifier = createAccessTokenVerifier(http.verifierConfig);
      await expect(verifier.verify(token)).resolves.toBeTruthy();
      verifier.close();
    } finally {
      await http.close();
    }
  });
});

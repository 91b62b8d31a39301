/**
 * The issuer the benchmark takes tokens from: the project's embedded oidc-provider issuer
 * (apps/issuer), whose machine client gets tokens exactly as `pnpm get-token` does; or, with
 * BENCH_ISSUER=test, the auth package's test issuer. Either way the tokens are real RS256 JWTs and
 * the API verifies them against the issuer's published keys.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestIssuer } from "@quickstart/auth/testing";
import { startIssuer } from "@quickstart/issuer";
import { fetchMachineToken } from "../scripts/lib/machine-token";

export const AUDIENCE = "https://quickstarts/api";

export interface BenchIssuer {
  description: string;
  /** The `iss` of its tokens, for AUTH_ISSUER. */
  issuer: string;
  jwksUri: string;
  /** A fresh access token for AUDIENCE that grants read:messages. */
  token(): Promise<string>;
  close(): Promise<void>;
}

export type IssuerChoice = "embedded" | "test";

export async function startBenchIssuer(choice: IssuerChoice): Promise<BenchIssuer> {
  return choice === "test" ? startTestBenchIssuer() : startEmbeddedIssuer();
}

async function startEmbeddedIssuer(): Promise<BenchIssuer> {
  const dataDir = await mkdtemp(join(tmpdir(), "quickstart-bench-issuer-"));
  const running = await startIssuer({
    port: 0,
    host: "127.0.0.1",
    audience: AUDIENCE,
    dataDir,
    logger: { info() {}, warn: console.warn, error: console.error },
  });
  return {
    description: "embedded oidc-provider issuer (apps/issuer), client_credentials tokens",
    issuer: running.url,
    jwksUri: `${running.url}.well-known/jwks.json`,
    token: () => fetchMachineToken({ issuer: running.url, audience: AUDIENCE, ...running.machineClient }),
    async close() {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startTestBenchIssuer(): Promise<BenchIssuer> {
  const test = await startTestIssuer({ audience: AUDIENCE });
  return {
    description: "test issuer (@quickstart/auth/testing), RS256 tokens signed locally",
    issuer: test.issuer,
    jwksUri: test.jwksUri,
    token: () => test.sign({ scope: "read:messages" }),
    close: () => test.close(),
  };
}

/**
 * The issuer the benchmark takes tokens from: the project's embedded oidc-provider issuer
 * (apps/issuer) when it is available, else the auth package's test issuer. Either way the
 * tokens are real RS256 JWTs and the API verifies them against the issuer's published keys.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const AUDIENCE = "https://quickstarts/api";

export interface BenchIssuer {
  kind: "embedded" | "test";
  description: string;
  /** The `iss` of its tokens, for AUTH_ISSUER. */
  issuer: string;
  jwksUri: string;
  /** A fresh access token for AUDIENCE that grants read:messages. */
  token(): Promise<string>;
  close(): Promise<void>;
}

export type IssuerChoice = "auto" | "embedded" | "test";

export async function startBenchIssuer(choice: IssuerChoice): Promise<BenchIssuer> {
  if (choice === "test") return startTestBenchIssuer("chosen with BENCH_ISSUER=test");
  let embedded: typeof import("@quickstart/issuer");
  try {
    embedded = await import("@quickstart/issuer");
  } catch (error) {
    const missing = (error as { code?: string }).code === "ERR_MODULE_NOT_FOUND";
    if (choice === "auto" && missing) {
      return startTestBenchIssuer(`the embedded issuer could not be loaded: ${(error as Error).message}`);
    }
    throw error;
  }
  return startEmbeddedIssuer(embedded);
}

async function startEmbeddedIssuer(embedded: typeof import("@quickstart/issuer")): Promise<BenchIssuer> {
  const dataDir = await mkdtemp(join(tmpdir(), "quickstart-bench-issuer-"));
  const quiet = { info() {}, warn: console.warn, error: console.error };
  const running = await embedded.startIssuer({
    port: 0,
    host: "127.0.0.1",
    audience: AUDIENCE,
    dataDir,
    logger: quiet,
  });
  // startIssuer names itself http://localhost:<port>/ even on 127.0.0.1; use the address it listens on.
  const base = `http://127.0.0.1:${running.port}/`;
  const discovery = (await (await fetch(`${base}.well-known/openid-configuration`)).json()) as {
    issuer: string;
    jwks_uri: string;
    token_endpoint: string;
  };
  const onLoopback = (url: string) => url.replace(new URL(url).origin, new URL(base).origin);
  return {
    kind: "embedded",
    description: "embedded oidc-provider issuer (apps/issuer), client_credentials tokens",
    issuer: discovery.issuer,
    jwksUri: onLoopback(discovery.jwks_uri),
    async token() {
      const response = await fetch(onLoopback(discovery.token_endpoint), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: running.machineClient.clientId,
          client_secret: running.machineClient.clientSecret,
          audience: AUDIENCE,
          scope: "read:messages",
        }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (!body.access_token)
        throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async close() {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startTestBenchIssuer(reason: string): Promise<BenchIssuer> {
  const { startTestIssuer } = await import("../packages/auth/testing/test-issuer");
  const test = await startTestIssuer({ audience: AUDIENCE });
  return {
    kind: "test",
    description: `test issuer (@quickstart/auth/testing), RS256 tokens signed locally — ${reason}`,
    issuer: test.issuer,
    jwksUri: test.jwksUri,
    token: () => test.sign({ scope: "read:messages" }),
    close: () => test.close(),
  };
}

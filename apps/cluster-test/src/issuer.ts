/**
 * The embedded issuer (apps/issuer) with its keys in a data folder of the test's own. It keeps its
 * signing keys in `signing-keys.json` and signs with the first; rotating or revoking a key is what
 * an operator does with it: edit that file and restart the issuer on the same port.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type RunningIssuer, startIssuer } from "@quickstart/issuer";
import { decodeProtectedHeader } from "jose";

export const AUDIENCE = "https://quickstarts/api";

type Jwk = Record<string, unknown>;

export class ClusterIssuer {
  private running: RunningIssuer | undefined;
  private port = 0;

  constructor(private readonly dataDir: string) {}

  get url(): string {
    if (!this.running) throw new Error("the issuer is not running");
    return this.running.url;
  }

  async start(): Promise<void> {
    this.running = await startIssuer({
      port: this.port,
      host: "localhost",
      audience: AUDIENCE,
      dataDir: this.dataDir,
      logger: { info() {}, warn() {}, error: console.error },
    });
    this.port = this.running.port;
  }

  async stop(): Promise<void> {
    await this.running?.close();
    this.running = undefined;
  }

  /** A client_credentials access token for the API, as `pnpm get-token` gets one; `headers` add a DPoP proof. */
  async token(headers: Record<string, string> = {}): Promise<string> {
    if (!this.running) throw new Error("the issuer is not running");
    const { clientId, clientSecret } = this.running.machineClient;
    const response = await fetch(`${this.running.url}oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
        audience: AUDIENCE,
      }),
    });
    const body = (await response.json()) as { access_token?: string; error?: string };
    if (!body.access_token) throw new Error(`token request failed: ${response.status} ${body.error}`);
    return body.access_token;
  }

  /** Signs with a new key from now on; the old one stays published (a rotation). */
  async rotate(): Promise<void> {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const next = { ...privateKey.export({ format: "jwk" }), alg: "RS256", use: "sig" };
    await this.restartWith((keys) => [next, ...keys]);
  }

  /** Stops publishing every key but the one it signs with (a revocation of the older ones). */
  async revokeOlderKeys(): Promise<void> {
    await this.restartWith((keys) => keys.slice(0, 1));
  }

  private async restartWith(change: (keys: Jwk[]) => Jwk[]): Promise<void> {
    const file = join(this.dataDir, "signing-keys.json");
    const { keys } = JSON.parse(await readFile(file, "utf8")) as { keys: Jwk[] };
    await this.stop();
    await writeFile(file, `${JSON.stringify({ keys: change(keys) }, null, 2)}\n`, { mode: 0o600 });
    await this.start();
  }
}

export const kidOf = (token: string) => decodeProtectedHeader(token).kid;

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JWK } from "oidc-provider";

/** The demo machine-to-machine client's id; its secret is generated on first start. */
const MACHINE_CLIENT_ID = "quickstart-m2m";
/** The client the API introspects opaque tokens as (RFC 7662 §2.1); made only in opaque mode. */
const INTROSPECTION_CLIENT_ID = "quickstart-api";

/** Credentials of a confidential client. */
export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** Everything the issuer must keep across restarts so that issued tokens and sessions stay valid. */
export interface IssuerSecrets {
  /** Private signing keys (RSA 2048, RS256); oidc-provider derives each `kid` (RFC 7638 thumbprint). */
  signingKeys: { keys: JWK[] };
  /** Keys that sign the issuer's cookies. */
  cookieKeys: string[];
  machineClient: ClientCredentials;
}

const FILES = {
  signingKeys: "signing-keys.json",
  cookieKeys: "cookie-keys.json",
  machineClient: "machine-client.json",
  introspectionClient: "introspection-client.json",
} as const;

/**
 * Reads the issuer's keys and secrets from `dataDir`, generating (and saving with mode 0600) any
 * that are missing. A restart with the same directory therefore keeps issued tokens valid.
 */
export async function loadOrCreateSecrets(dataDir: string): Promise<IssuerSecrets> {
  // 0700: the directory holds private keys.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const [signingKeys, cookieKeys, machineClient] = await Promise.all([
    loadOrCreate(join(dataDir, FILES.signingKeys), () => ({ keys: [generateSigningKey()] })),
    loadOrCreate(join(dataDir, FILES.cookieKeys), () => [randomBytes(32).toString("base64url")]),
    loadOrCreate(join(dataDir, FILES.machineClient), () => ({
      clientId: MACHINE_CLIENT_ID,
      clientSecret: randomBytes(32).toString("base64url"),
    })),
  ]);
  return { signingKeys, cookieKeys, machineClient };
}

/**
 * The credentials the API introspects tokens with, from `dataDir`, generated (mode 0600) on first
 * use. Kept apart from {@link loadOrCreateSecrets} so that a JWT-mode issuer makes no such client.
 */
export async function loadOrCreateIntrospectionClient(dataDir: string): Promise<ClientCredentials> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  return loadOrCreate(join(dataDir, FILES.introspectionClient), () => ({
    clientId: INTROSPECTION_CLIENT_ID,
    clientSecret: randomBytes(32).toString("base64url"),
  }));
}

/**
 * The demo machine client's credentials as saved by a previous start, or `undefined` when the issuer
 * has never started with this `dataDir`. Used by `pnpm get-token` to talk to the embedded issuer.
 */
export async function readMachineClient(dataDir: string): Promise<ClientCredentials | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, FILES.machineClient), "utf8")) as ClientCredentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function loadOrCreate<T>(path: string, create: () => T): Promise<T> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as T;
    // Tighten a file someone copied in with looser permissions.
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new Error(`Cannot read ${path} (${(error as Error).message}); delete it to generate a new one.`);
    }
  }
  const value = create();
  try {
    // `wx`: if another process created the file meanwhile, keep theirs rather than overwrite it.
    await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST")
      return JSON.parse(await readFile(path, "utf8")) as T;
    throw error;
  }
}

function generateSigningKey(): JWK {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), alg: "RS256", use: "sig" } as JWK;
}

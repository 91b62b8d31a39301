// Gets an access token for the API with the OAuth client credentials grant, exactly as the
// quickstart's curl does. Shared by `pnpm token`, `pnpm call`, the benchmark and tests.
import { DEFAULT_DATA_DIR, readMachineClient } from "@quickstart/issuer";

/** Where to ask for a token, and as whom. */
export interface MachineTokenConfig {
  /** Issuer identifier with a trailing slash, e.g. `http://localhost:3020/`. */
  issuer: string;
  /** The API's identifier, sent as `audience`. */
  audience: string;
  clientId: string;
  clientSecret: string;
}

/** A token response from the issuer. */
export interface MachineToken {
  accessToken: string;
  expiresIn: number;
  scope: string | undefined;
}

/** Any reason we could not get a token; `message` is one line meant for a person. */
export class MachineTokenError extends Error {
  override name = "MachineTokenError";
}

const EMBEDDED_AUDIENCE = "https://quickstarts/api";

/**
 * Reads the configuration from the environment: `AUTH_ISSUER` or `AUTHOK_DOMAIN`, `API_AUDIENCE`,
 * `AUTH_CLIENT_ID`, `AUTH_CLIENT_SECRET`. With no issuer configured it uses the embedded issuer
 * (`http://localhost:${ISSUER_PORT:-3020}/`) and the machine client it saved in its data directory.
 */
export async function machineTokenConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Promise<MachineTokenConfig> {
  const configured = env.AUTH_ISSUER || (env.AUTHOK_DOMAIN ? `https://${env.AUTHOK_DOMAIN}/` : undefined);
  const issuer = withTrailingSlash(configured ?? `http://localhost:${env.ISSUER_PORT || "3020"}/`);
  const audience = env.API_AUDIENCE || EMBEDDED_AUDIENCE;
  if (env.AUTH_CLIENT_ID && env.AUTH_CLIENT_SECRET) {
    return { issuer, audience, clientId: env.AUTH_CLIENT_ID, clientSecret: env.AUTH_CLIENT_SECRET };
  }
  if (configured) {
    throw new MachineTokenError(
      `Set AUTH_CLIENT_ID and AUTH_CLIENT_SECRET to a machine-to-machine client of ${issuer} that may call ${audience}.`,
    );
  }
  const dataDir = env.ISSUER_DATA_DIR || DEFAULT_DATA_DIR;
  const client = await readMachineClient(dataDir);
  if (!client) {
    throw new MachineTokenError(
      `No machine client in ${dataDir}: start the embedded issuer first (pnpm serve), or set AUTH_ISSUER, AUTH_CLIENT_ID and AUTH_CLIENT_SECRET.`,
    );
  }
  return { issuer, audience, ...client };
}

/**
 * POSTs `grant_type=client_credentials` with `client_id`, `client_secret` and `audience`
 * (form-encoded) to the issuer's token endpoint: discovery's `token_endpoint`, else `<issuer>oauth/token`.
 */
export async function fetchMachineToken(config: MachineTokenConfig): Promise<MachineToken> {
  const tokenEndpoint = await findTokenEndpoint(config.issuer);
  let response: Response;
  try {
    response = await fetch(tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: config.clientId,
        client_secret: config.clientSecret,
        audience: config.audience,
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new MachineTokenError(
      `Cannot reach ${tokenEndpoint} (${describe(error)}). Is the issuer running (pnpm serve)?`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== "string") {
    const reason =
      [body.error, body.error_description].filter(Boolean).join(": ") || "no access_token in the response";
    throw new MachineTokenError(
      `Token request to ${tokenEndpoint} failed with ${response.status}: ${reason}`,
    );
  }
  return {
    accessToken: body.access_token,
    expiresIn: Number(body.expires_in),
    scope: typeof body.scope === "string" ? body.scope : undefined,
  };
}

/** {@link machineTokenConfigFromEnv} then {@link fetchMachineToken}: the access token alone. */
export async function getMachineToken(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return (await fetchMachineToken(await machineTokenConfigFromEnv(env))).accessToken;
}

async function findTokenEndpoint(issuer: string): Promise<string> {
  const fallback = new URL("oauth/token", issuer).href;
  try {
    const response = await fetch(new URL(".well-known/openid-configuration", issuer), {
      signal: AbortSignal.timeout(5_000),
    });
    const discovery = (await response.json()) as { token_endpoint?: unknown };
    return response.ok && typeof discovery.token_endpoint === "string" ? discovery.token_endpoint : fallback;
  } catch {
    // No discovery (or the issuer is down): the fallback's own error will say so.
    return fallback;
  }
}

function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

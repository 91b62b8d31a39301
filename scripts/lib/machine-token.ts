// Gets an access token for the API with the OAuth client credentials grant, exactly as the
// quickstart's curl does. Shared by `pnpm get-token`, `pnpm call` and the benchmark.
import { CaFileInvalid, createIssuerDispatcher, describeFetchFailure } from "@quickstart/auth";
import { parseIssuerEnv, readMachineClient } from "@quickstart/issuer";
import { createDpopFetch, type DpopKeyPair } from "./dpop";
import { firstOfList } from "./root-env";

/** Where to ask for a token, and as whom. */
export interface MachineTokenConfig {
  /** Issuer identifier with a trailing slash, e.g. `http://localhost:3020/`. */
  issuer: string;
  /** The API's identifier, sent as `audience`. */
  audience: string;
  clientId: string;
  clientSecret: string;
  /** `AUTH_CA_FILE`: a PEM file with the CA of the issuer's TLS certificate. */
  caFile?: string | undefined;
}

/** Any reason we could not get a token; `message` is one line meant for a person. */
class MachineTokenError extends Error {
  override name = "MachineTokenError";
}

/** The quickstart's API identifier, also asked for from a real issuer when API_AUDIENCE is unset. */
const QUICKSTART_AUDIENCE = "https://quickstarts/api";

/**
 * Reads the configuration from the environment: `AUTH_ISSUER` or `AUTHOK_DOMAIN`, `API_AUDIENCE`,
 * `AUTH_CLIENT_ID`, `AUTH_CLIENT_SECRET`, `AUTH_CA_FILE`. With no issuer configured it uses the embedded issuer, with
 * the port, audience and data directory its own settings resolve to (`ISSUER_PORT`, `API_AUDIENCE`,
 * `ISSUER_DATA_DIR` and their defaults), and the machine client it saved there.
 */
async function machineTokenConfigFromEnv(env: NodeJS.ProcessEnv): Promise<MachineTokenConfig> {
  // With several issuers (or audiences), the first: where the API's users log in.
  const domain = firstOfList(env.AUTHOK_DOMAIN);
  const configured = firstOfList(env.AUTH_ISSUER) ?? (domain ? `https://${domain}/` : undefined);
  const credentials =
    env.AUTH_CLIENT_ID && env.AUTH_CLIENT_SECRET
      ? { clientId: env.AUTH_CLIENT_ID, clientSecret: env.AUTH_CLIENT_SECRET }
      : undefined;
  if (configured) {
    const issuer = withTrailingSlash(configured);
    const audience = firstOfList(env.API_AUDIENCE) ?? QUICKSTART_AUDIENCE;
    if (credentials) return { issuer, audience, ...credentials, caFile: env.AUTH_CA_FILE };
    throw new MachineTokenError(
      `Set AUTH_CLIENT_ID and AUTH_CLIENT_SECRET to a machine-to-machine client of ${issuer} that may call ${audience}.`,
    );
  }
  const embedded = parseIssuerEnv(env);
  const issuer = `http://localhost:${embedded.ISSUER_PORT}/`;
  // The first identifier is the API's default one, which the machine client asks for.
  const audience = embedded.API_AUDIENCE[0] as string;
  if (credentials) return { issuer, audience, ...credentials };
  const client = await readMachineClient(embedded.ISSUER_DATA_DIR);
  if (!client) {
    throw new MachineTokenError(
      `No machine client in ${embedded.ISSUER_DATA_DIR}: start the embedded issuer first (pnpm serve), or set AUTH_ISSUER, AUTH_CLIENT_ID and AUTH_CLIENT_SECRET.`,
    );
  }
  return { issuer, audience, ...client };
}

/**
 * POSTs `grant_type=client_credentials` with `client_id`, `client_secret` and `audience`
 * (form-encoded) to the issuer's token endpoint (discovery's `token_endpoint`, else `<issuer>oauth/token`)
 * and resolves with the access token. With `dpop`, the request carries a proof made with that key,
 * and the token must come back bound to it (`token_type: DPoP`).
 */
export async function fetchMachineToken(
  config: MachineTokenConfig,
  options: { dpop?: DpopKeyPair } = {},
): Promise<string> {
  let dispatcher: Awaited<ReturnType<typeof createIssuerDispatcher>>;
  try {
    dispatcher = await createIssuerDispatcher(config.caFile);
  } catch (error) {
    if (error instanceof CaFileInvalid) throw new MachineTokenError(error.message);
    throw error;
  }
  const tokenEndpoint = await findTokenEndpoint(config.issuer, dispatcher);
  const send = options.dpop ? createDpopFetch(options.dpop) : fetch;
  let response: Response;
  try {
    response = await send(tokenEndpoint, {
      dispatcher,
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
    const failure = describeFetchFailure(error);
    if (failure.tls) throw new MachineTokenError(`Cannot reach ${tokenEndpoint}: ${failure.reason}`);
    // Only a refused connection means nothing listens there.
    const hint = failure.code === "ECONNREFUSED" ? " Is the issuer running (pnpm serve)?" : "";
    throw new MachineTokenError(`Cannot reach ${tokenEndpoint} (${failure.reason}).${hint}`);
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== "string") {
    const reason =
      [body.error, body.error_description].filter(Boolean).join(": ") || "no access_token in the response";
    throw new MachineTokenError(
      `Token request to ${tokenEndpoint} failed with ${response.status}: ${reason}`,
    );
  }
  if (options.dpop && String(body.token_type).toLowerCase() !== "dpop") {
    throw new MachineTokenError(
      `${tokenEndpoint} answered a ${String(body.token_type)} token to a DPoP request: the issuer does not support DPoP`,
    );
  }
  return body.access_token;
}

/**
 * An access token for the configuration in `env`: {@link machineTokenConfigFromEnv}, then
 * {@link fetchMachineToken}.
 */
export async function getMachineToken(
  env: NodeJS.ProcessEnv = process.env,
  options: { dpop?: DpopKeyPair } = {},
): Promise<string> {
  return fetchMachineToken(await machineTokenConfigFromEnv(env), options);
}

async function findTokenEndpoint(
  issuer: string,
  dispatcher: Awaited<ReturnType<typeof createIssuerDispatcher>>,
): Promise<string> {
  const fallback = new URL("oauth/token", issuer).href;
  try {
    const response = await fetch(new URL(".well-known/openid-configuration", issuer), {
      dispatcher,
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

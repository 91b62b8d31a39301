// `pnpm call`: a service calling the API with a machine token, through the typed tRPC client.
// `pnpm call --dpop`: the same with a DPoP-bound token (RFC 9449) and a proof on every call.
// Copy this pattern into a backend job or another service.
import { parseArgs } from "node:util";
import type { AppRouter } from "@quickstart/api";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { apiUrlFromEnv } from "./lib/api-url";
import { createDpopFetch, createDpopKeyPair, type DpopKeyPair, dpopThumbprint } from "./lib/dpop";
import { getMachineToken } from "./lib/machine-token";
import { loadRootEnv } from "./lib/root-env";

loadRootEnv();
// The same variables `npm start` gives the web app: API_URL, else http://localhost:<PORT>.
const apiUrl = apiUrlFromEnv(process.env);

/**
 * A client for the API; `httpLink` (not batching) so each call has its own HTTP status. With a
 * DPoP key, its `fetch` signs a proof for each request.
 */
function apiClient(accessToken?: string, dpopKey?: DpopKeyPair) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${apiUrl}/trpc`,
        ...(dpopKey
          ? { fetch: createDpopFetch(dpopKey, accessToken) }
          : { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} }),
      }),
    ],
  });
}

/** Runs one call and prints `name: 200 {...}` or `name: <status> <code>: <description>`. */
async function show(name: string, call: () => Promise<unknown>) {
  try {
    console.log(`${name}: 200 ${JSON.stringify(await call())}`);
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    // The API puts the quickstart's { code, description } in error.data.auth.
    const { data } = error as TRPCClientError<AppRouter>;
    if (!data) {
      console.log(
        `${name}: cannot reach ${apiUrl} (${error.message}). Is the API running (npm start)? Set PORT or API_URL as it printed.`,
      );
      return;
    }
    const reason = data.auth ? `${data.auth.code}: ${data.auth.description}` : error.message;
    console.log(`${name}: ${data.httpStatus} ${reason}`);
  }
}

try {
  const { values } = parseArgs({ options: { dpop: { type: "boolean", default: false } } });
  const dpopKey = values.dpop ? await createDpopKeyPair() : undefined;
  const accessToken = await getMachineToken(process.env, { dpop: dpopKey });
  if (dpopKey) console.log(`token: DPoP, bound to key ${await dpopThumbprint(dpopKey)}`);
  const api = apiClient(accessToken, dpopKey);
  await show("public", () => api.public.query());
  await show("private", () => api.private.query());
  await show("privateScoped", () => api.privateScoped.query());
  // The same call without a token is refused: 401 authorization_header_missing.
  await show("private (no token)", () => apiClient().private.query());
  // A stolen DPoP-bound token is useless without the key: as Bearer it gets 401 invalid_dpop_proof.
  if (dpopKey) await show("private (token as Bearer)", () => apiClient(accessToken).private.query());
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

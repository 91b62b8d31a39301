// `pnpm call`: a service calling the API with a machine token, through the typed tRPC client.
// Copy this pattern into a backend job or another service.
import type { AppRouter } from "@quickstart/api";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { apiUrlFromEnv } from "./lib/api-url";
import { getMachineToken } from "./lib/machine-token";
import { loadRootEnv } from "./lib/root-env";

loadRootEnv();
// The same variables `npm start` gives the web app: API_URL, else http://localhost:<PORT>.
const apiUrl = apiUrlFromEnv(process.env);

/** A client for the API; `httpLink` (not batching) so each call has its own HTTP status. */
function apiClient(accessToken?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${apiUrl}/trpc`,
        headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
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
  const api = apiClient(await getMachineToken());
  await show("public", () => api.public.query());
  await show("private", () => api.private.query());
  await show("privateScoped", () => api.privateScoped.query());
  // The same call without a token is refused: 401 authorization_header_missing.
  await show("private (no token)", () => apiClient().private.query());
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

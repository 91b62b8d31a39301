import { type CallOutcome, outcomeFromRestResponse, unreachable } from "./call-outcome";

/**
 * Calls a REST mirror with plain fetch. Never throws: HTTP errors are outcomes to show, and a
 * failed fetch becomes an "unreachable" outcome. `apiFetch` adds the token (and DPoP proof), if any.
 */
export async function callRest(apiUrl: string, path: string, apiFetch: typeof fetch): Promise<CallOutcome> {
  let response: Response;
  try {
    response = await apiFetch(`${apiUrl}${path}`);
  } catch (error) {
    return unreachable(apiUrl, error instanceof Error ? error.message : String(error));
  }
  const body: unknown = await response.json().catch(() => undefined);
  return outcomeFromRestResponse(response.status, body);
}

import { type CallOutcome, outcomeFromRestResponse, unreachable } from "./call-outcome";

/**
 * Calls a REST mirror with plain fetch. Never throws: HTTP errors are outcomes to show, and a
 * failed fetch becomes an "unreachable" outcome. Without a token no Authorization header is sent.
 */
export async function callRest(
  apiUrl: string,
  path: string,
  accessToken: string | undefined,
): Promise<CallOutcome> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl}${path}`, {
      headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
    });
  } catch (error) {
    return unreachable(apiUrl, error instanceof Error ? error.message : String(error));
  }
  const body: unknown = await response.json().catch(() => undefined);
  return outcomeFromRestResponse(response.status, body);
}

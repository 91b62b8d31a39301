import { AuthError, KeySetUnavailable, wwwAuthenticateFor } from "@quickstart/auth";

/** Response headers for a refused request: the RFC 6750 challenge, or Retry-After on a 503. */
export function authErrorHeaders(error: AuthError): Record<string, string> {
  const headers: Record<string, string> = {};
  const challenge = wwwAuthenticateFor(error);
  if (challenge) headers["www-authenticate"] = challenge;
  if (error instanceof KeySetUnavailable) headers["retry-after"] = String(error.retryAfterSeconds);
  return headers;
}

/** The first AuthError behind a list of errors (a tRPC batch), if any. */
export function findAuthError(errors: readonly { cause?: unknown }[]): AuthError | undefined {
  for (const error of errors) if (error.cause instanceof AuthError) return error.cause;
  return undefined;
}

import { AuthorizationHeaderInvalid, AuthorizationHeaderMissing } from "./errors";

/** Longer headers are refused before any parsing or crypto (RFC 8725 §3.1 asks for bounded work). */
export const MAX_AUTHORIZATION_HEADER_LENGTH = 8192;

const CANONICAL_BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

/**
 * Extracts the bearer token from an Authorization header value (RFC 6750 §2.1), with the
 * quickstart's error codes and descriptions.
 *
 * @example
 * parseAuthorizationHeader("Bearer eyJhbGciOi...") // => "eyJhbGciOi..."
 * parseAuthorizationHeader(undefined)              // throws AuthorizationHeaderMissing
 */
export function parseAuthorizationHeader(value: string | string[] | undefined): string {
  // Node joins repeated headers into an array; a second Authorization header is never legitimate.
  if (Array.isArray(value)) {
    throw new AuthorizationHeaderInvalid("Authorization header must be Bearer token");
  }
  if (value === undefined || value.trim() === "") throw new AuthorizationHeaderMissing();
  if (value.length > MAX_AUTHORIZATION_HEADER_LENGTH) {
    throw new AuthorizationHeaderInvalid("Authorization header is too large");
  }

  // What clients send (RFC 6750's b64token after "Bearer "), without the general parse below.
  const canonical = CANONICAL_BEARER.exec(value);
  if (canonical) return canonical[1] as string;

  const parts = value.trim().split(/\s+/);
  if (parts[0]?.toLowerCase() !== "bearer") {
    throw new AuthorizationHeaderInvalid("Authorization header must start with Bearer");
  }
  if (parts.length === 1) throw new AuthorizationHeaderInvalid("Token not found");
  if (parts.length > 2) throw new AuthorizationHeaderInvalid("Authorization header must be Bearer token");
  return parts[1] as string;
}

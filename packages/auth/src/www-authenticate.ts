import { type AuthError, AuthorizationHeaderMissing, InsufficientScope } from "./errors";

/**
 * The `WWW-Authenticate` challenge for a refused request (RFC 6750 §3), or undefined when none
 * applies (a 503 is not a challenge). Shared by the REST mirrors and tRPC so both send the same.
 *
 * @example
 * wwwAuthenticateFor(new InsufficientScope(["read:messages"]))
 * // => 'Bearer error="insufficient_scope", error_description="...", scope="read:messages"'
 */
export function wwwAuthenticateFor(error: AuthError): string | undefined {
  // §3: a request without credentials gets a bare challenge, with no error code.
  if (error instanceof AuthorizationHeaderMissing) return "Bearer";
  if (error instanceof InsufficientScope) {
    return `Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="${error.requiredScopes.join(" ")}"`;
  }
  if (error.status === 401) {
    return `Bearer error="invalid_token", error_description="${quotable(error.description)}"`;
  }
  return undefined;
}

/** §3: error_description is limited to printable ASCII without `"` and `\`. */
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "");
}

import { type AuthError, AuthorizationHeaderMissing, InsufficientScope } from "./errors";

/** What every challenge of one API carries. */
export interface ChallengeOptions {
  /** The API's RFC 9728 metadata URL, sent as `resource_metadata` in every challenge (§5.1). */
  resourceMetadata?: string | undefined;
}

/**
 * The `WWW-Authenticate` challenges for a refused request (RFC 6750 §3), one per scheme the API
 * accepts; empty when none applies (a 503 is not a challenge).
 *
 * @example
 * wwwAuthenticateFor(new InsufficientScope(["read:messages"]), { resourceMetadata: "https://api/.well-known/oauth-protected-resource" })
 * // => ['Bearer error="insufficient_scope", error_description="...", scope="read:messages", resource_metadata="https://api/..."']
 */
export function wwwAuthenticateFor(error: AuthError, options: ChallengeOptions = {}): string[] {
  const params = bearerParams(error);
  if (params === undefined) return [];
  if (options.resourceMetadata) params.push(`resource_metadata="${quotable(options.resourceMetadata)}"`);
  return [params.length === 0 ? "Bearer" : `Bearer ${params.join(", ")}`];
}

function bearerParams(error: AuthError): string[] | undefined {
  // §3: a request without credentials gets a challenge with no error code.
  if (error instanceof AuthorizationHeaderMissing) return [];
  if (error instanceof InsufficientScope) {
    return [
      'error="insufficient_scope"',
      'error_description="The access token does not grant the required scope"',
      `scope="${error.requiredScopes.join(" ")}"`,
    ];
  }
  if (error.status === 401) {
    return ['error="invalid_token"', `error_description="${quotable(error.description)}"`];
  }
  return undefined;
}

/** §3: parameter values are limited to printable ASCII without `"` and `\`. */
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "");
}

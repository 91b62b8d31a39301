import type { DpopMode } from "./dpop";
import {
  type AuthError,
  AuthorizationHeaderMissing,
  InsufficientScope,
  InvalidDpopProof,
  UseDpopNonce,
} from "./errors";

/** What every challenge of one API carries. */
export interface ChallengeOptions {
  /** The API's RFC 9728 metadata URL, sent as `resource_metadata` in every challenge (§5.1). */
  resourceMetadata?: string | undefined;
  /**
   * Which schemes the API accepts (RFC 9449 §7.1): with DPoP `allowed`, a Bearer and a DPoP
   * challenge; `required`, DPoP only; `disabled` or unset, Bearer only.
   */
  dpop?: { mode: DpopMode; algorithms: readonly string[] } | undefined;
}

/**
 * The `WWW-Authenticate` challenges for a refused request (RFC 6750 §3, RFC 9449 §7.1), one per
 * scheme the API accepts; empty when none applies (a 503 is not a challenge). A DPoP proof's error
 * goes in the DPoP challenge; any other error in the Bearer one, or in the DPoP one when DPoP is
 * required.
 *
 * @example
 * wwwAuthenticateFor(new InsufficientScope(["read:messages"]), { resourceMetadata: "https://api/.well-known/oauth-protected-resource" })
 * // => ['Bearer error="insufficient_scope", error_description="...", scope="read:messages", resource_metadata="https://api/..."']
 */
export function wwwAuthenticateFor(error: AuthError, options: ChallengeOptions = {}): string[] {
  const mode = options.dpop?.mode ?? "disabled";
  const isProofError = error instanceof InvalidDpopProof || error instanceof UseDpopNonce;
  const params = isProofError ? proofParams(error) : bearerParams(error);
  if (params === undefined) return [];

  const metadata = options.resourceMetadata
    ? [`resource_metadata="${quotable(options.resourceMetadata)}"`]
    : [];
  const algs = [`algs="${options.dpop?.algorithms.join(" ") ?? ""}"`];
  const challenge = (scheme: string, list: string[]) =>
    list.length === 0 ? scheme : `${scheme} ${list.join(", ")}`;

  if (mode === "disabled") return [challenge("Bearer", [...params, ...metadata])];
  if (mode === "required") return [challenge("DPoP", [...params, ...algs, ...metadata])];
  return isProofError
    ? [challenge("DPoP", [...params, ...algs, ...metadata]), challenge("Bearer", metadata)]
    : [challenge("Bearer", [...params, ...metadata]), challenge("DPoP", [...algs, ...metadata])];
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

/** RFC 9449 §7.1 and §9: `invalid_dpop_proof` or `use_dpop_nonce`. */
function proofParams(error: InvalidDpopProof | UseDpopNonce): string[] {
  return [`error="${error.code}"`, `error_description="${quotable(error.description)}"`];
}

/** §3: parameter values are limited to printable ASCII without `"` and `\`. */
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, "");
}

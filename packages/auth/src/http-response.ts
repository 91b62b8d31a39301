import {
  type AuthError,
  type AuthErrorBody,
  type AuthErrorStatus,
  DpopReplayStoreUnavailable,
  IntrospectionUnavailable,
  KeySetUnavailable,
  UseDpopNonce,
} from "./errors";
import { type ChallengeOptions, wwwAuthenticateFor } from "./www-authenticate";

/** How a refused request is answered over HTTP, whatever the framework or transport. */
export interface AuthErrorResponse {
  status: AuthErrorStatus;
  body: AuthErrorBody;
  /** Lower-case names; `www-authenticate` holds one challenge per accepted scheme. */
  headers: { "www-authenticate"?: string[]; "retry-after"?: string; "dpop-nonce"?: string };
}

/**
 * The one mapping from an {@link AuthError} to HTTP: its status, the quickstart's
 * `{ code, description }` body, the RFC 6750 / RFC 9449 challenges, on a 503 `Retry-After`, and the
 * next `DPoP-Nonce` when the proof needs one.
 *
 * @example
 * const { status, headers, body } = authErrorResponse(error, { resourceMetadata });
 * reply.status(status).headers(headers).send(body);
 */
export function authErrorResponse(error: AuthError, options: ChallengeOptions = {}): AuthErrorResponse {
  const headers: AuthErrorResponse["headers"] = {};
  const challenges = wwwAuthenticateFor(error, options);
  if (challenges.length > 0) headers["www-authenticate"] = challenges;
  if (
    error instanceof KeySetUnavailable ||
    error instanceof IntrospectionUnavailable ||
    error instanceof DpopReplayStoreUnavailable
  ) {
    headers["retry-after"] = String(error.retryAfterSeconds);
  }
  if (error instanceof UseDpopNonce) headers["dpop-nonce"] = error.nonce;
  return { status: error.status, body: error.toJSON(), headers };
}

/**
 * Every way a request can fail authentication or authorization, as one class hierarchy.
 * `code` and `description` are the quickstart's JSON error body; `status` is its HTTP status.
 * Map these to HTTP or tRPC in one place each (the REST error handler and the tRPC middleware).
 */
export type AuthErrorCode =
  | "authorization_header_missing"
  | "invalid_header"
  | "token_expired"
  | "invalid_claims"
  | "Unauthorized"
  | "jwks_unavailable"
  | "introspection_unavailable"
  | "invalid_dpop_proof"
  | "use_dpop_nonce"
  | "dpop_replay_store_unavailable";

export type AuthErrorStatus = 401 | 403 | 503;

/** The JSON body the quickstart answers with. */
export interface AuthErrorBody {
  code: AuthErrorCode;
  description: string;
}

/** `detail`: for the log only, never the response: what was expected and what was found. */
export interface AuthErrorOptions {
  cause?: unknown;
  detail?: string | undefined;
}

export abstract class AuthError extends Error {
  abstract readonly status: AuthErrorStatus;
  abstract readonly code: AuthErrorCode;
  /** Why exactly, for the API's log line (`aud expected X, got Y`); never sent, never the token. */
  readonly detail: string | undefined;

  constructor(
    readonly description: string,
    options?: AuthErrorOptions,
  ) {
    super(description, options);
    this.name = new.target.name;
    this.detail = options?.detail;
  }

  toJSON(): AuthErrorBody {
    return { code: this.code, description: this.description };
  }
}

/** No Authorization header (or an empty one). */
export class AuthorizationHeaderMissing extends AuthError {
  readonly status = 401;
  readonly code = "authorization_header_missing";
  constructor() {
    super("Authorization header is expected");
  }
}

/** The Authorization header is not `Bearer <token>` (or `DPoP <token>`, where DPoP applies). */
export class AuthorizationHeaderInvalid extends AuthError {
  readonly status = 401;
  readonly code = "invalid_header";
}

/** The token's `kid` names no key the issuer publishes (or the token has no `kid`). */
export class SigningKeyNotFound extends AuthError {
  readonly status = 401;
  readonly code = "invalid_header";
  constructor(options?: AuthErrorOptions) {
    super("Unable to find appropriate key", options);
  }
}

/** Anything else wrong with the token: not a JWS, bad signature, algorithm not allowed, ... */
export class TokenInvalid extends AuthError {
  readonly status = 401;
  readonly code = "invalid_header";
  constructor(options?: AuthErrorOptions) {
    super("Unable to parse authentication token.", options);
  }
}

export class TokenExpired extends AuthError {
  readonly status = 401;
  readonly code = "token_expired";
  constructor(options?: AuthErrorOptions) {
    super("token is expired", options);
  }
}

/** Wrong audience or issuer, or another claim that fails validation. */
export class TokenClaimsInvalid extends AuthError {
  readonly status = 401;
  readonly code = "invalid_claims";
  constructor(options?: AuthErrorOptions) {
    super("incorrect claims,please check the audience and issuer", options);
  }
}

/** A valid token that lacks a scope the resource requires. */
export class InsufficientScope extends AuthError {
  readonly status = 403;
  readonly code = "Unauthorized";
  constructor(
    readonly requiredScopes: readonly string[],
    options?: AuthErrorOptions,
  ) {
    super("您没有权限访问当前资源", options);
  }
}

/**
 * The issuer's key set could not be fetched and no cached key applies. The client is not at fault:
 * 503 with a retry hint rather than a 401.
 */
export class KeySetUnavailable extends AuthError {
  readonly status = 503;
  readonly code = "jwks_unavailable";
  constructor(
    readonly retryAfterSeconds: number,
    options?: AuthErrorOptions,
  ) {
    super("The issuer's signing keys could not be fetched; try again shortly", options);
  }
}

/**
 * An opaque token could not be introspected (RFC 7662): the issuer's introspection endpoint did not
 * answer usefully, or the API's caps on introspection calls were reached and no call was made. The
 * client is not at fault: 503 with a retry hint, as for {@link KeySetUnavailable}.
 */
export class IntrospectionUnavailable extends AuthError {
  readonly status = 503;
  readonly code = "introspection_unavailable";
  constructor(
    readonly retryAfterSeconds: number,
    options?: AuthErrorOptions,
  ) {
    super("The issuer could not be asked about the access token; try again shortly", options);
  }
}

/**
 * The DPoP proof is missing, malformed or does not match the request or the token (RFC 9449 §7.1);
 * also a DPoP-bound token sent without one, as Bearer (§7.2).
 */
export class InvalidDpopProof extends AuthError {
  readonly status = 401;
  readonly code = "invalid_dpop_proof";
  constructor(
    /** Which check refused the proof, from a fixed set: a metric label and a log field. */
    readonly reason: DpopRefusalReason,
    description: string,
    options?: AuthErrorOptions,
  ) {
    super(description, options);
  }
}

/** Every check a DPoP proof can fail, one label each (RFC 9449 §4.3 and §7). */
export type DpopRefusalReason =
  | "missing"
  | "multiple"
  | "too_large"
  | "malformed"
  | "typ"
  | "alg"
  | "jwk"
  | "claims"
  | "jti"
  | "htm"
  | "htu"
  | "iat"
  | "ath"
  | "signature"
  | "token_not_bound"
  | "key_mismatch"
  | "bound_token_as_bearer"
  | "too_many_proofs"
  | "replayed";

/** The API requires a server nonce in DPoP proofs and this proof has none or an old one (RFC 9449 §9). */
export class UseDpopNonce extends AuthError {
  readonly status = 401;
  readonly code = "use_dpop_nonce";
  constructor(
    /** The nonce to put in the next proof; sent as the `DPoP-Nonce` response header. */
    readonly nonce: string,
  ) {
    super("Resource server requires nonce in DPoP proof");
  }
}

/**
 * The store that remembers used proofs could not record this one (Redis did not answer, or the
 * in-memory store is full). Accepting the proof could let a replay through, so the request is
 * refused, as a 503 since the client is not at fault.
 */
export class DpopReplayStoreUnavailable extends AuthError {
  readonly status = 503;
  readonly code = "dpop_replay_store_unavailable";
  readonly retryAfterSeconds = 1;
  constructor(options?: { cause?: unknown }) {
    super("The DPoP replay store is unavailable; try again shortly", options);
  }
}

export type KnownAuthError =
  | AuthorizationHeaderMissing
  | AuthorizationHeaderInvalid
  | SigningKeyNotFound
  | TokenInvalid
  | TokenExpired
  | TokenClaimsInvalid
  | InsufficientScope
  | KeySetUnavailable
  | IntrospectionUnavailable
  | InvalidDpopProof
  | UseDpopNonce
  | DpopReplayStoreUnavailable;

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
  | "jwks_unavailable";

export type AuthErrorStatus = 401 | 403 | 503;

/** The JSON body the quickstart answers with. */
export interface AuthErrorBody {
  code: AuthErrorCode;
  description: string;
}

export abstract class AuthError extends Error {
  abstract readonly status: AuthErrorStatus;
  abstract readonly code: AuthErrorCode;

  constructor(
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(description, options);
    this.name = new.target.name;
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

/** The Authorization header is not `Bearer <token>`. */
export class AuthorizationHeaderInvalid extends AuthError {
  readonly status = 401;
  readonly code = "invalid_header";
}

/** The token's `kid` names no key the issuer publishes (or the token has no `kid`). */
export class SigningKeyNotFound extends AuthError {
  readonly status = 401;
  readonly code = "invalid_header";
  constructor(options?: { cause?: unknown }) {
    super("Unable to find appropriate key", options);
  }
}

/** Anything else wrong with the token: not a JWS, bad signature, algorithm not allowed, ... */
export class TokenInvalid extends AuthError {
  readonly status = 401;
  readonly code = "invalid_header";
  constructor(options?: { cause?: unknown }) {
    super("Unable to parse authentication token.", options);
  }
}

export class TokenExpired extends AuthError {
  readonly status = 401;
  readonly code = "token_expired";
  constructor(options?: { cause?: unknown }) {
    super("token is expired", options);
  }
}

/** Wrong audience or issuer, or another claim that fails validation. */
export class TokenClaimsInvalid extends AuthError {
  readonly status = 401;
  readonly code = "invalid_claims";
  constructor(options?: { cause?: unknown }) {
    super("incorrect claims,please check the audience and issuer", options);
  }
}

/** A valid token that lacks a scope the resource requires. */
export class InsufficientScope extends AuthError {
  readonly status = 403;
  readonly code = "Unauthorized";
  constructor(readonly requiredScopes: readonly string[]) {
    super("您没有权限访问当前资源");
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
    options?: { cause?: unknown },
  ) {
    super("The issuer's signing keys could not be fetched; try again shortly", options);
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
  | KeySetUnavailable;

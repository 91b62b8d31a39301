import { decodeProtectedHeader, errors, type JWTVerifyOptions, jwtVerify } from "jose";
import { MAX_AUTHORIZATION_HEADER_LENGTH } from "./authorization-header";
import { type AccessTokenClaims, accessTokenClaimsSchema, RFC9068_REQUIRED_CLAIMS } from "./claims";
import { type VerifierConfig, verifierConfigSchema } from "./config";
import {
  AuthError,
  AuthorizationHeaderInvalid,
  SigningKeyNotFound,
  TokenClaimsInvalid,
  TokenExpired,
  TokenInvalid,
} from "./errors";
import { type AuthLogger, createIssuerKeySet, type KeysStatus } from "./key-set";
import { readScopes } from "./scopes";
import { withVerifiedTokenCache } from "./verified-token-cache";

/** A token the verifier accepted: its typed claims and the scopes they grant. */
export interface VerifiedAccessToken {
  claims: AccessTokenClaims;
  scopes: ReadonlySet<string>;
}

export interface AccessTokenVerifier {
  /** The issuer whose tokens it accepts, as configured (what RFC 9728 metadata names). */
  readonly issuer: string;
  /** Resolves with the verified token or rejects with an {@link AuthError}; never anything else. */
  verify(token: string): Promise<VerifiedAccessToken>;
  /** For a readiness probe: whether the issuer's keys are loaded, and fresh (see {@link KeysStatus}). */
  keysStatus(): KeysStatus;
  /** Stops the background key refresh (a refresh never keeps the process alive anyway). */
  close(): void;
}

/**
 * Makes the access-token verifier for one API. Create it once per process: it holds the issuer's
 * key cache.
 *
 * @example
 * const verifier = createAccessTokenVerifier({ issuer: "https://example.authok.cn/", audience: "https://api" });
 * const { claims, scopes } = await verifier.verify(parseAuthorizationHeader(request.headers.authorization));
 * if (!scopes.has("read:messages")) throw new InsufficientScope(["read:messages"]);
 */
export function createAccessTokenVerifier(
  config: VerifierConfig,
  options: { logger?: AuthLogger } = {},
): AccessTokenVerifier {
  const resolved = verifierConfigSchema.parse(config);
  const keySet = createIssuerKeySet({ ...resolved, logger: options.logger });
  const algorithms = new Set<string>(resolved.algorithms);
  const verifyOptions: JWTVerifyOptions = {
    issuer: resolved.issuer,
    audience: resolved.audience,
    algorithms: resolved.algorithms,
    clockTolerance: resolved.clockTolerance,
    requiredClaims: resolved.strictAccessTokenProfile ? [...RFC9068_REQUIRED_CLAIMS] : ["exp"],
    ...(resolved.strictAccessTokenProfile ? { typ: "at+jwt" } : {}),
  };

  async function verify(token: string): Promise<VerifiedAccessToken> {
    if (token.length > MAX_AUTHORIZATION_HEADER_LENGTH) {
      throw new AuthorizationHeaderInvalid("Authorization header is too large");
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch (cause) {
      throw new TokenInvalid({ cause });
    }
    // Refuse a disallowed algorithm (none, HS256 with the public key as secret, ...) before any key lookup.
    if (typeof header.alg !== "string" || !algorithms.has(header.alg)) throw new TokenInvalid();
    if (typeof header.kid !== "string" || header.kid === "") throw new SigningKeyNotFound();

    try {
      const { payload } = await jwtVerify(token, keySet.getKey, verifyOptions);
      // jose checks a future `iat` only together with maxTokenAge; a token from the future is refused here.
      const now = Math.floor(Date.now() / 1000);
      if (typeof payload.iat === "number" && payload.iat > now + resolved.clockTolerance) {
        throw new TokenClaimsInvalid();
      }
      const parsed = accessTokenClaimsSchema.safeParse(payload);
      if (!parsed.success) throw new TokenClaimsInvalid({ cause: parsed.error });
      return { claims: parsed.data, scopes: readScopes(parsed.data) };
    } catch (error) {
      throw toAuthError(error);
    }
  }

  return {
    issuer: resolved.issuer,
    // A token already accepted is served from memory until its exp (see verified-token-cache.ts).
    verify: withVerifiedTokenCache(verify, {
      maxEntries: resolved.tokenCacheSize,
      keySetGeneration: () => keySet.version,
    }),
    keysStatus: () => keySet.status(),
    close: () => keySet.close(),
  };
}

/**
 * Maps what `jose` throws to the quickstart's error codes; anything unrecognised is an invalid token.
 * Key-set errors arrive here already mapped, by the key set's own `getKey`.
 */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) return new TokenExpired({ cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    // `typ` is checked as a claim by jose but is a header: a wrong one means "not an access token".
    return error.claim === "typ"
      ? new TokenInvalid({ cause: error })
      : new TokenClaimsInvalid({ cause: error });
  }
  return new TokenInvalid({ cause: error });
}

import { decodeProtectedHeader, errors, type JWTVerifyOptions, jwtVerify } from "jose";
import type { AuthObserver } from "./auth-observer";
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
import { type AuthLogger, createIssuerKeySet, type KeysStatus, quote } from "./key-set";
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
  options: {
    logger?: AuthLogger;
    /** Told of key fetches and verified-token cache lookups, for metrics (see auth-observer.ts). */
    observer?: AuthObserver;
  } = {},
): AccessTokenVerifier {
  const resolved = verifierConfigSchema.parse(config);
  const keySet = createIssuerKeySet({ ...resolved, logger: options.logger, observer: options.observer });
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
      throw new TokenInvalid({ cause, detail: "not a JWS: its header does not decode" });
    }
    // Refuse a disallowed algorithm (none, HS256 with the public key as secret, ...) before any key lookup.
    if (typeof header.alg !== "string" || !algorithms.has(header.alg)) {
      throw new TokenInvalid({
        detail: `alg expected one of [${resolved.algorithms.join(", ")}], got ${quote(header.alg)}`,
      });
    }
    if (typeof header.kid !== "string" || header.kid === "") {
      throw new SigningKeyNotFound({ detail: "the token's header has no kid" });
    }

    try {
      const { payload } = await jwtVerify(token, keySet.getKey, verifyOptions);
      // jose checks a future `iat` only together with maxTokenAge; a token from the future is refused here.
      const now = Math.floor(Date.now() / 1000);
      if (typeof payload.iat === "number" && payload.iat > now + resolved.clockTolerance) {
        throw new TokenClaimsInvalid({
          detail: `iat ${payload.iat} is ${payload.iat - now} s in the future`,
        });
      }
      const parsed = accessTokenClaimsSchema.safeParse(payload);
      if (!parsed.success) {
        const claims = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
        throw new TokenClaimsInvalid({
          cause: parsed.error,
          detail: `claims of the wrong type (${claims.join("; ")})`,
        });
      }
      return { claims: parsed.data, scopes: readScopes(parsed.data) };
    } catch (error) {
      throw toAuthError(error, verifyOptions, header);
    }
  }

  return {
    issuer: resolved.issuer,
    // A token already accepted is served from memory until its exp (see verified-token-cache.ts).
    verify: withVerifiedTokenCache(verify, {
      maxEntries: resolved.tokenCacheSize,
      keySetGeneration: () => keySet.version,
      observer: options.observer,
    }),
    keysStatus: () => keySet.status(),
    close: () => keySet.close(),
  };
}

/**
 * Maps what `jose` throws to the quickstart's error codes; anything unrecognised is an invalid token.
 * Key-set errors arrive here already mapped, by the key set's own `getKey`. With the options the
 * token was verified with, a claim's error says what was expected and what the token has (`detail`).
 */
export function toAuthError(
  error: unknown,
  expected: Pick<JWTVerifyOptions, "issuer" | "audience" | "typ"> = {},
  header: { typ?: unknown } = {},
): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    const detail =
      typeof exp === "number" ? `exp ${exp} (${new Date(exp * 1000).toISOString()}) has passed` : undefined;
    return new TokenExpired({ cause: error, detail });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const found = error.claim === "typ" ? header.typ : error.payload[error.claim];
    const wanted = { iss: expected.issuer, aud: expected.audience, typ: expected.typ }[error.claim];
    const detail =
      wanted !== undefined
        ? `${error.claim} expected ${quote(wanted)}, got ${quote(found)}`
        : `${error.claim} ${quote(found)}: ${error.message}`;
    // `typ` is checked as a claim by jose but is a header: a wrong one means "not an access token".
    return error.claim === "typ"
      ? new TokenInvalid({ cause: error, detail })
      : new TokenClaimsInvalid({ cause: error, detail });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenInvalid({ cause: error, detail: "the signature does not verify with the issuer's key" });
  }
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : "unrecognised";
  return new TokenInvalid({ cause: error, detail: reason });
}

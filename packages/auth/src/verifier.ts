import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from "jose";
import { type AudiencePolicy, audienceHintFor, checkAudience, checkTokenUse } from "./audience";
import type { AuthObserver } from "./auth-observer";
import { MAX_AUTHORIZATION_HEADER_LENGTH } from "./authorization-header";
import { type AccessTokenClaims, accessTokenClaimsSchema, RFC9068_REQUIRED_CLAIMS } from "./claims";
import { isIssuerTemplate, TENANT_PLACEHOLDER, type VerifierConfig, verifierConfigSchema } from "./config";
import {
  AuthError,
  AuthorizationHeaderInvalid,
  SigningKeyNotFound,
  TokenClaimsInvalid,
  TokenExpired,
  TokenInvalid,
} from "./errors";
import { createTokenIntrospector } from "./introspection";
import { combineKeysStatus, createIssuerRegistry } from "./issuer-registry";
import type { AuthLogger, KeysStatus } from "./key-set";
import { quote } from "./key-set";
import { applyProfile } from "./profiles";
import { readScopeClaims, type ScopePolicy } from "./scopes";
import { withVerifiedTokenCache } from "./verified-token-cache";

/** A token the verifier accepted: its typed claims and the scopes they grant. */
export interface VerifiedAccessToken {
  claims: AccessTokenClaims;
  scopes: ReadonlySet<string>;
}

export interface AccessTokenVerifier {
  /** The first issuer whose tokens it accepts, as configured (where clients log in). */
  readonly issuer: string;
  /**
   * Every issuer whose tokens it accepts, a multi-tenant template once per allowed tenant (what
   * RFC 9728 metadata names).
   */
  readonly issuers: readonly string[];
  /** Resolves with the verified token or rejects with an {@link AuthError}; never anything else. */
  verify(token: string): Promise<VerifiedAccessToken>;
  /**
   * For a readiness probe: whether the issuers' keys are loaded, and fresh (see {@link KeysStatus});
   * with several issuers, `stale` if any is, else `loaded` if any is.
   */
  keysStatus(): KeysStatus;
  /** Each issuer's key status, by issuer as configured (a template once: its tenants share its keys). */
  keysStatusByIssuer(): Record<string, KeysStatus>;
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
  const { scopeClaims, audienceHint } = applyProfile(resolved);
  const registry = createIssuerRegistry({
    ...resolved,
    issuers: resolved.issuer,
    logger: options.logger,
    observer: options.observer,
  });
  const { single } = registry;
  const issuers = resolved.issuer.flatMap((issuer) =>
    isIssuerTemplate(issuer)
      ? resolved.tenants.map((tenant) => issuer.replaceAll(TENANT_PLACEHOLDER, tenant))
      : [issuer],
  );
  const algorithms = new Set<string>(resolved.algorithms);
  const audiences: AudiencePolicy = {
    audiences: resolved.audience,
    clientIds: resolved.clientIds,
    hint: audienceHint,
  };
  const scopes: ScopePolicy = { claims: scopeClaims, prefix: resolved.scopePrefix };
  // Without client IDs jose checks aud, as it always has; with them, a token may have none (checkAudience).
  const checksAudienceItself = resolved.clientIds.length > 0;
  const verifyOptions: JWTVerifyOptions = {
    // With a template the filled-in iss is not known in advance: the registry has matched it already.
    issuer: registry.issuers.some(isIssuerTemplate) ? undefined : oneOrList(resolved.issuer),
    audience: checksAudienceItself ? undefined : oneOrList(resolved.audience),
    algorithms: resolved.algorithms,
    clockTolerance: resolved.clockTolerance,
    requiredClaims: resolved.strictAccessTokenProfile ? [...RFC9068_REQUIRED_CLAIMS] : ["exp"],
    ...(resolved.strictAccessTokenProfile ? { typ: "at+jwt" } : {}),
  };
  const expected = { ...verifyOptions, audienceHint };

  /** The signing-key lookup: the one issuer's, or the one the token's unverified `iss` names (no fetch before). */
  function keyLookupFor(token: string): JWTVerifyGetKey {
    if (single) return single.getKey;
    let claims: ReturnType<typeof decodeJwt>;
    try {
      claims = decodeJwt(token);
    } catch (cause) {
      throw new TokenInvalid({ cause, detail: "not a JWT: its payload does not decode" });
    }
    return registry.keySetFor(claims).getKey;
  }

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
    const getKey = keyLookupFor(token);

    try {
      const { payload } = await jwtVerify(token, getKey, verifyOptions);
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
      checkTokenUse(payload);
      if (checksAudienceItself) checkAudience(payload, audiences);
      return { claims: parsed.data, scopes: readScopeClaims(payload, scopes) };
    } catch (error) {
      throw toAuthError(error, expected, header);
    }
  }

  // A token already accepted is served from memory until its exp (see verified-token-cache.ts).
  const verifyJwt = withVerifiedTokenCache(verify, {
    maxEntries: resolved.tokenCacheSize,
    // One issuer: its key set's own counter, read on every cache hit, as before there were several.
    keySetGeneration: single ? () => single.version : () => registry.version,
    observer: options.observer,
  });
  // Opaque tokens: the same issuers, audiences and scope claims, checked on the issuer's answer.
  const introspector =
    resolved.introspection &&
    createTokenIntrospector({
      introspection: resolved.introspection,
      issuers,
      audiences,
      scopes,
      fetchOrigins: resolved.fetchOrigins,
      clockTolerance: resolved.clockTolerance,
      fetchTimeoutMs: resolved.fetchTimeoutMs,
      cacheSize: resolved.tokenCacheSize,
      caFile: resolved.caFile,
      logger: options.logger,
    });

  return {
    issuer: issuers[0] as string,
    issuers,
    // Without introspection configured, every token goes the JWT way, as it always has.
    verify: introspector
      ? async (token) => {
          if (!isCompactJws(token)) return introspector.verify(token);
          try {
            return await verifyJwt(token);
          } catch (error) {
            // A JWT signed with a key the issuer does not publish (Okta's org authorization server
            // signs its access tokens so) is opaque to the API: only the issuer can say what it is.
            if (error instanceof SigningKeyNotFound) return introspector.verify(token);
            throw error;
          }
        }
      : verifyJwt,
    keysStatus: single
      ? () => single.status()
      : () => combineKeysStatus(Object.values(registry.statusByIssuer())),
    keysStatusByIssuer: () => registry.statusByIssuer(),
    close: () => registry.close(),
  };
}

/** One value as itself, several as a list: what jose compares with, and how a refusal names it. */
function oneOrList(values: readonly string[]): string | string[] {
  return values.length === 1 ? (values[0] as string) : [...values];
}

/**
 * Whether a token is shaped as a JWT (`<header>.<payload>.<signature>`, the header a JSON object:
 * `eyJ` is `{"` in base64url). Anything else is an opaque token, for introspection.
 */
function isCompactJws(token: string): boolean {
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  return token.startsWith("eyJ") && second > first + 1 && token.indexOf(".", second + 1) === -1;
}

/**
 * Maps what `jose` throws to the quickstart's error codes; anything unrecognised is an invalid token.
 * Key-set errors arrive here already mapped, by the key set's own `getKey`. With the options the
 * token was verified with, a claim's error says what was expected and what the token has (`detail`).
 */
export function toAuthError(
  error: unknown,
  expected: Pick<JWTVerifyOptions, "issuer" | "audience" | "typ"> & { audienceHint?: string } = {},
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
    const hint = error.claim === "aud" ? audienceHintFor(found, expected.audienceHint) : "";
    const detail =
      wanted !== undefined
        ? `${error.claim} expected ${quote(wanted)}, got ${quote(found)}${hint}`
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

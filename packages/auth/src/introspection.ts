import { z } from "zod";
import { type AudiencePolicy, checkAudience, checkTokenUse } from "./audience";
import { MAX_AUTHORIZATION_HEADER_LENGTH } from "./authorization-header";
import { createCallLimiter } from "./call-limiter";
import { accessTokenClaimsSchema } from "./claims";
import type { introspectionConfigSchema } from "./config";
import {
  AuthError,
  AuthorizationHeaderInvalid,
  IntrospectionUnavailable,
  TokenClaimsInvalid,
  TokenExpired,
  TokenInvalid,
} from "./errors";
import { createIntrospectionCaches, tokenDigest } from "./introspection-cache";
import { createIssuerFetch, describeFetchFailure } from "./issuer-tls";
import { type AuthLogger, quote, toFetchUrl } from "./key-set";
import { readScopeClaims, type ScopePolicy } from "./scopes";
import { deepFreeze } from "./verified-token-cache";
import type { VerifiedAccessToken } from "./verifier";

export interface TokenIntrospectorOptions {
  introspection: z.output<typeof introspectionConfigSchema>;
  /** `iss`, when the answer has one, must be among these; the first one's discovery names the endpoint. */
  issuers: readonly string[];
  /** Who the token must be for, as for a JWT (`aud`, or Cognito's `client_id`). */
  audiences: AudiencePolicy;
  /** Where scopes are read from, as for a JWT. */
  scopes: ScopePolicy;
  /** Requests to an origin named here go to the origin it maps to (`AUTH_ISSUER_INTERNAL_URL`). */
  fetchOrigins?: Readonly<Record<string, string>> | undefined;
  /** Seconds of leeway for `exp`, `nbf` and `iat`, as for a JWT. */
  clockTolerance: number;
  fetchTimeoutMs: number;
  /** How many answers to remember (accepted and refused ones each); 0 remembers none. */
  cacheSize: number;
  caFile?: string | undefined;
  logger?: AuthLogger | undefined;
}

export interface TokenIntrospector {
  /** Resolves with the token's answer as verified claims, or rejects with an {@link AuthError}. */
  verify(token: string): Promise<VerifiedAccessToken>;
}

/** A refusal (an inactive token, a wrong audience) is remembered this long, so a retried bad token costs no call. */
const REFUSAL_CACHE_MS = 5000;
/** When the issuer cannot be asked; past a cap, the next second may have room again. */
const OUTAGE_RETRY_AFTER_S = 5;
const CAP_RETRY_AFTER_S = 1;

/** RFC 7662 §2.2: only `active` is required; the rest is typed by the claims schema once accepted. */
const answerSchema = z.looseObject({ active: z.boolean() });
type IntrospectionAnswer = z.infer<typeof answerSchema>;

const silentLogger: AuthLogger = { info() {}, warn() {} };

/**
 * Checks tokens that are not JWTs by asking the issuer (RFC 7662), behind the same contract as the
 * JWT verifier: the same {@link VerifiedAccessToken}, the same errors. The answer must say
 * `active: true`; its `iss` (when present) must be a configured issuer, its `aud` one of the API's,
 * and its `exp`, `nbf` and `iat` hold as for a JWT. `cnf.jkt` stays in the claims, so a DPoP-bound
 * opaque token needs its proof exactly as a JWT does.
 *
 * Answers are cached by the token's SHA-256 (never the token): accepted ones until `exp` (or
 * `cacheSeconds` when there is none), refusals for a few seconds, and a cached answer keeps working
 * while the issuer is down. Calls are capped (`maxConcurrent`, `maxPerSecond`): past a cap, or when
 * the issuer cannot answer, the request gets {@link IntrospectionUnavailable} (503).
 *
 * @example
 * const introspector = createTokenIntrospector({
 *   introspection: introspectionConfigSchema.parse({ clientId: "api", clientSecret: "…" }),
 *   issuers: ["https://example.okta.com"], audiences: ["api://default"],
 *   clockTolerance: 5, fetchTimeoutMs: 5000, cacheSize: 10_000,
 * });
 * const { claims, scopes } = await introspector.verify(opaqueToken);
 */
export function createTokenIntrospector(options: TokenIntrospectorOptions): TokenIntrospector {
  const { introspection: config, issuers, audiences, scopes, clockTolerance } = options;
  const logger = options.logger ?? silentLogger;
  const fetchIssuer = createIssuerFetch({ caFile: options.caFile, timeoutMs: options.fetchTimeoutMs });
  const limiter = createCallLimiter(config);
  const caches = createIntrospectionCaches(options.cacheSize);
  /** Requests carrying the same new token share one call. */
  const inFlight = new Map<string, Promise<VerifiedAccessToken>>();
  const authorization = basicAuthorization(config.clientId, config.clientSecret);
  let endpoint: Promise<string> | undefined;

  /** A call to the issuer: logged with its outcome (never the token), any failure an outage. */
  async function callIssuer(url: string, init: RequestInit, what: string): Promise<Response> {
    const started = performance.now();
    const durationMs = () => Math.round(performance.now() - started);
    let response: Response;
    try {
      response = await fetchIssuer(toFetchUrl(url, options.fetchOrigins), init);
    } catch (cause) {
      const { code, reason } = describeFetchFailure(cause);
      logger.warn({ url, code, reason, durationMs: durationMs() }, `issuer ${what} failed`);
      throw unavailable(`${url}: ${reason}`, cause);
    }
    if (response.status !== 200) {
      const hint =
        response.status === 400 || response.status === 401
          ? "; check AUTH_INTROSPECTION_CLIENT_ID and AUTH_INTROSPECTION_CLIENT_SECRET"
          : "";
      logger.warn({ url, status: response.status, durationMs: durationMs() }, `issuer ${what} failed${hint}`);
      throw unavailable(`${url} answered ${response.status}${hint}`);
    }
    logger.info({ url, status: response.status, durationMs: durationMs() }, `issuer ${what}`);
    return response;
  }

  /** AUTH_INTROSPECTION_URL, or the first issuer's discovery `introspection_endpoint`. */
  async function discoverEndpoint(): Promise<string> {
    if (config.endpoint) return config.endpoint;
    const issuer = issuers[0] as string;
    const url = new URL(".well-known/openid-configuration", issuer.endsWith("/") ? issuer : `${issuer}/`)
      .href;
    const response = await callIssuer(url, {}, "discovery for introspection");
    const metadata = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    // OpenID Connect Discovery §4.3: the document must be about the issuer we were configured with.
    if (metadata.issuer !== issuer) {
      throw unavailable(
        `the discovery document's issuer is ${quote(metadata.issuer)}, expected ${quote(issuer)}`,
      );
    }
    const found = metadata.introspection_endpoint;
    if (typeof found !== "string" || !URL.canParse(found)) {
      logger.warn({ url }, "discovery names no introspection_endpoint; set AUTH_INTROSPECTION_URL");
      throw unavailable(`${url} names no introspection_endpoint; set AUTH_INTROSPECTION_URL`);
    }
    return found;
  }

  async function introspect(token: string): Promise<IntrospectionAnswer> {
    const permit = limiter.tryAcquire();
    if (!permit.granted) {
      throw new IntrospectionUnavailable(CAP_RETRY_AFTER_S, {
        detail: `introspection capped, no call made: ${permit.reason}`,
      });
    }
    try {
      endpoint ??= discoverEndpoint().catch((error: unknown) => {
        endpoint = undefined; // a failed discovery is retried by a later request, not cached
        throw error;
      });
      const url = await endpoint;
      const response = await callIssuer(
        url,
        {
          method: "POST",
          headers: { authorization, accept: "application/json" },
          body: new URLSearchParams({ token, token_type_hint: "access_token" }),
        },
        "introspection",
      );
      const parsed = answerSchema.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) {
        logger.warn({ url }, "issuer introspection answer has no boolean `active`");
        throw unavailable(`${url} answered without a boolean active (RFC 7662 §2.2)`);
      }
      return parsed.data;
    } finally {
      permit.release();
    }
  }

  async function introspectAndCheck(token: string, key: string): Promise<VerifiedAccessToken> {
    const answer = await introspect(token);
    try {
      const verified = deepFreeze(checkAnswer(answer));
      caches.accepted.set(key, verified, verified.claims.exp * 1000);
      return verified;
    } catch (error) {
      if (error instanceof AuthError) {
        caches.refused.set(key, error, Date.now() + Math.min(REFUSAL_CACHE_MS, config.cacheSeconds * 1000));
      }
      throw error;
    }
  }

  /** The answer as claims, checked as a JWT's would be (the same audience and scope rules). */
  function checkAnswer(answer: IntrospectionAnswer): VerifiedAccessToken {
    if (answer.active !== true) {
      throw new TokenInvalid({ detail: "introspection: the issuer says the token is not active" });
    }
    const { active: _active, ...claims } = answer;
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== undefined && !issuers.includes(claims.iss as string)) {
      throw new TokenClaimsInvalid({
        detail: `introspection: iss expected one of ${quote(issuers)}, got ${quote(claims.iss)}`,
      });
    }
    checkTimes(claims, now);
    const parsed = accessTokenClaimsSchema.safeParse({
      ...claims,
      // The answer comes from the configured issuer's endpoint, which may leave out `iss` (§2.2).
      iss: claims.iss ?? issuers[0],
      // Without `exp`, the answer is trusted for cacheSeconds, and the claims say until when.
      exp: claims.exp ?? now + config.cacheSeconds,
    });
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
      throw new TokenClaimsInvalid({
        cause: parsed.error,
        detail: `introspection: claims of the wrong type (${problems.join("; ")})`,
      });
    }
    return saying("introspection", () => {
      checkTokenUse(claims);
      checkAudience(claims, audiences);
      return { claims: parsed.data, scopes: readScopeClaims(claims, scopes) };
    });
  }

  /** `exp`, `nbf` and `iat` as jose checks them for a JWT, with the same leeway. */
  function checkTimes(claims: Record<string, unknown>, now: number): void {
    const { exp, nbf, iat } = claims;
    for (const [name, value] of Object.entries({ exp, nbf, iat })) {
      if (value !== undefined && typeof value !== "number") {
        throw new TokenClaimsInvalid({ detail: `introspection: ${name} ${quote(value)} is not a number` });
      }
    }
    if (typeof exp === "number" && exp <= now - clockTolerance) {
      throw new TokenExpired({
        detail: `introspection: exp ${exp} (${new Date(exp * 1000).toISOString()}) has passed`,
      });
    }
    if (typeof nbf === "number" && nbf > now + clockTolerance) {
      throw new TokenClaimsInvalid({ detail: `introspection: nbf ${nbf} is ${nbf - now} s in the future` });
    }
    if (typeof iat === "number" && iat > now + clockTolerance) {
      throw new TokenClaimsInvalid({ detail: `introspection: iat ${iat} is ${iat - now} s in the future` });
    }
  }

  return {
    async verify(token) {
      if (token.length > MAX_AUTHORIZATION_HEADER_LENGTH) {
        throw new AuthorizationHeaderInvalid("Authorization header is too large");
      }
      const key = tokenDigest(token);
      const accepted = caches.accepted.get(key);
      if (accepted !== undefined) return accepted;
      const refused = caches.refused.get(key);
      if (refused !== undefined) throw refused;
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = introspectAndCheck(token, key).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
  };
}

/**
 * RFC 7662 §2.1 with RFC 6749 §2.3.1: HTTP Basic over the form-urlencoded client id and secret, so
 * a `:` or `%` in either survives.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString("base64")}`;
}

/** Runs claim checks shared with the JWT path, their refusals' detail prefixed with where the claims came from. */
function saying<T>(source: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof TokenClaimsInvalid)) throw error;
    throw new TokenClaimsInvalid({ cause: error, detail: `${source}: ${error.detail}` });
  }
}

function unavailable(reason: string, cause?: unknown): IntrospectionUnavailable {
  return new IntrospectionUnavailable(OUTAGE_RETRY_AFTER_S, {
    cause,
    detail: `introspection unavailable: ${reason}`,
  });
}

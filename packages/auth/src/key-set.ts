import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type JWKSCacheInput,
  type JWTVerifyGetKey,
  jwksCache,
  type RemoteJWKSet,
} from "jose";
import { type AuthObserver, completeObserver, type ObservedKeySet } from "./auth-observer";
import { KeySetUnavailable, SigningKeyNotFound } from "./errors";
import { createIssuerFetch, describeFetchFailure } from "./issuer-tls";

/** The part of a pino-style logger the key set writes to. */
export interface AuthLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface IssuerKeySetOptions {
  /** The issuer identifier its discovery document must name (a multi-tenant template's, literally). */
  issuer: string;
  /** Where `.well-known/openid-configuration` is looked up; the issuer by default. */
  discoveryBase?: string | undefined;
  /** Requests to an origin named here go to the origin it maps to (an issuer's host inside a container network). */
  fetchOrigins?: Readonly<Record<string, string>> | undefined;
  jwksUri?: string | undefined;
  fetchTimeoutMs: number;
  fetchCooldownMs: number;
  /** Once the keys are this old, they are refreshed in the background. */
  jwksMaxAgeMs: number;
  /** `AUTH_CA_FILE`: a PEM file with the CA of the issuer's TLS certificate. */
  caFile?: string | undefined;
  logger?: AuthLogger | undefined;
  observer?: AuthObserver | undefined;
}

/**
 * What the verifier knows of the issuer's keys, for a readiness probe:
 * - `not_loaded`: no key set has arrived yet (keys load with the first token);
 * - `loaded`: a key set younger than the max age, or being refreshed;
 * - `stale`: the last good key set is older than the max age because refreshes fail; it is still used.
 */
export type KeysStatus = "loaded" | "not_loaded" | "stale";

/** Signing-key lookup for `jwtVerify`, and a version for the verified-token cache. */
export interface IssuerKeySet extends ObservedKeySet {
  getKey: JWTVerifyGetKey;
  /** Goes up each time a key set arrives without a key the previous one had (a revoked or retired key). */
  readonly version: number;
  /** Stops the background refresh. */
  close(): void;
}

/** After a failed fetch, requests that need the issuer fail fast for this long (at most the cooldown). */
const FAILURE_BACKOFF_MS = 5000;

const silentLogger: AuthLogger = { info() {}, warn() {} };

/**
 * The issuer's signing keys, found lazily through OpenID discovery (falling back to
 * `<issuer>.well-known/jwks.json`) and kept with `jose`'s remote key set. Nothing is fetched until
 * the first token arrives, so the API starts while the issuer is down. A failure (issuer
 * unreachable or 5xx, a discovery document naming another issuer, an unusable key set) is never
 * cached: the next request after a short backoff tries again.
 *
 * Once loaded, the keys are refreshed in the background every `jwksMaxAgeMs`; requests keep using
 * the current keys meanwhile and never wait for a refresh. A failed refresh keeps the last good
 * keys and is retried with a growing backoff (up to the max age). A key missing from a new key set
 * is refused from then on. An unknown `kid` triggers at most one refetch per cooldown window.
 */
export function createIssuerKeySet(options: IssuerKeySetOptions): IssuerKeySet {
  const logger = options.logger ?? silentLogger;
  const observer = completeObserver(options.observer);
  // Reads AUTH_CA_FILE now: a bad file is a configuration error, not a failed fetch later.
  const fetchIssuer = createIssuerFetch({ caFile: options.caFile, timeoutMs: options.fetchTimeoutMs });
  const failureBackoffMs = Math.min(FAILURE_BACKOFF_MS, options.fetchCooldownMs);
  const retryAfterSeconds = Math.ceil(failureBackoffMs / 1000);
  let version = 0;
  let failedUntil = 0;
  /** Why the last fetch failed, for the detail of requests refused during the backoff. */
  let lastFailure = "";
  let keySet: Promise<RemoteJWKSet> | undefined;
  // jose writes `{ uat, jwks }` here each time it accepts a key set: how we learn that one arrived.
  const arrived: JWKSCacheInput = {};
  let current: { loadedAt: number; keys: Set<string>; kids: string[] } | undefined;
  let failedSinceLoad = false;
  let refreshFailures = 0;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  /** Any failure to get usable keys: later requests fail fast until the backoff ends. */
  function backOff(reason: string, cause?: unknown): KeySetUnavailable {
    failedSinceLoad = true;
    failedUntil = Date.now() + failureBackoffMs;
    lastFailure = reason;
    return new KeySetUnavailable(retryAfterSeconds, { cause, detail: `issuer keys unavailable: ${reason}` });
  }

  /** Every request to the issuer goes through here: logged, timed out, backed off. */
  async function fetchFromIssuer(publicUrl: string, init: RequestInit = {}): Promise<Response> {
    const url = toFetchUrl(publicUrl, options.fetchOrigins);
    const { issuer } = options;
    const waitMs = failedUntil - Date.now();
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      const detail = `issuer keys unavailable: not asking the issuer again for ${seconds} s after: ${lastFailure}`;
      throw new KeySetUnavailable(seconds, { detail });
    }
    const started = performance.now();
    try {
      const response = await fetchIssuer(url, init);
      const details = {
        issuer,
        url,
        status: response.status,
        durationMs: Math.round(performance.now() - started),
      };
      if (response.status >= 500) {
        throw Object.assign(new Error(`the issuer answered ${response.status}`), {
          code: `HTTP_${response.status}`,
        });
      }
      logger.info(details, "issuer key fetch");
      observer.onKeyFetch(options.issuer, "success");
      return response;
    } catch (cause) {
      // `code` is the underlying reason (ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...), not "fetch failed".
      const { code, reason } = describeFetchFailure(cause);
      logger.warn(
        { issuer, url, code, reason, durationMs: Math.round(performance.now() - started) },
        "issuer key fetch failed",
      );
      observer.onKeyFetch(options.issuer, "failure");
      throw backOff(`${url}: ${reason}`, cause);
    }
  }

  /** Takes in a key set jose has just accepted, if any; cheap when none has. */
  function noticeArrivedKeys(): void {
    if (!("uat" in arrived) || arrived.uat === current?.loadedAt) return;
    const keys = new Set(arrived.jwks.keys.map((jwk) => JSON.stringify(jwk)));
    // Tokens cached as verified with a key that has gone may be revoked ones: verify them again.
    if (current && [...current.keys].some((key) => !keys.has(key))) version += 1;
    current = { loadedAt: arrived.uat, keys, kids: arrived.jwks.keys.map((jwk) => String(jwk.kid)) };
    failedSinceLoad = false;
    refreshFailures = 0;
    scheduleRefresh(options.jwksMaxAgeMs);
  }

  function scheduleRefresh(delayMs: number): void {
    clearTimeout(refreshTimer);
    if (closed) return;
    refreshTimer = setTimeout(() => void refresh(), delayMs);
    // A background refresh must never keep the process alive.
    refreshTimer.unref();
  }

  async function refresh(): Promise<void> {
    // A fetch just failed: the refresh keeps to the same backoff as requests.
    const waitMs = failedUntil - Date.now();
    if (waitMs > 0) return scheduleRefresh(waitMs);
    try {
      await (await (keySet as Promise<RemoteJWKSet>)).reload();
      noticeArrivedKeys();
    } catch (error) {
      failedSinceLoad = true;
      refreshFailures += 1;
      const retryMs = Math.min(options.jwksMaxAgeMs, FAILURE_BACKOFF_MS * 2 ** (refreshFailures - 1));
      const keysAgeS = current ? Math.round((Date.now() - current.loadedAt) / 1000) : undefined;
      const reason = error instanceof KeySetUnavailable ? lastFailure : reasonOf(error);
      logger.warn(
        { issuer: options.issuer, keysAgeS, retryInS: Math.ceil(retryMs / 1000), reason },
        "issuer key refresh failed; still using the last keys fetched",
      );
      scheduleRefresh(retryMs);
    }
  }

  async function discoverJwksUri(): Promise<URL> {
    if (options.jwksUri) return new URL(options.jwksUri);
    const discoveryBase = options.discoveryBase ?? options.issuer;
    const base = discoveryBase.endsWith("/") ? discoveryBase : `${discoveryBase}/`;
    const response = await fetchFromIssuer(new URL(".well-known/openid-configuration", base).href);
    if (response.status === 200) {
      const metadata = (await response.json().catch(() => ({}))) as { issuer?: unknown; jwks_uri?: unknown };
      // OpenID Connect Discovery §4.3: the document must be about the issuer we were configured with.
      if (metadata.issuer !== options.issuer) {
        logger.warn(
          { expected: options.issuer, found: metadata.issuer },
          "discovery document names another issuer; check AUTH_ISSUER / AUTHOK_DOMAIN",
        );
        throw backOff(
          `the discovery document's issuer is ${JSON.stringify(metadata.issuer)}, expected ${JSON.stringify(options.issuer)}`,
        );
      }
      if (typeof metadata.jwks_uri === "string") return new URL(metadata.jwks_uri);
    }
    return new URL(".well-known/jwks.json", base);
  }

  async function createKeySet(): Promise<RemoteJWKSet> {
    const jwksUri = await discoverJwksUri();
    return createRemoteJWKSet(jwksUri, {
      timeoutDuration: options.fetchTimeoutMs,
      cooldownDuration: options.fetchCooldownMs,
      // Never stale for jose, so no request waits: the background refresh above replaces the keys.
      cacheMaxAge: Number.POSITIVE_INFINITY,
      [jwksCache]: arrived,
      [customFetch]: fetchFromIssuer,
    });
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    keySet ??= createKeySet().catch((error: unknown) => {
      keySet = undefined; // a failed discovery is retried by a later request, not cached
      throw error;
    });
    try {
      return await (await keySet)(header, token);
    } catch (error) {
      if (error instanceof KeySetUnavailable) throw error;
      if (error instanceof errors.JWKSNoMatchingKey) {
        noticeArrivedKeys();
        const kids = (current?.kids ?? []).map((kid) => JSON.stringify(kid)).join(", ");
        const detail = `kid ${quote(header.kid)} is not among the issuer's keys [${kids}] (for ${quote(header.alg)}); the token may come from another issuer`;
        throw new SigningKeyNotFound({ cause: error, detail });
      }
      if (error instanceof errors.JWKSMultipleMatchingKeys) {
        throw new SigningKeyNotFound({
          cause: error,
          detail: `kid ${quote(header.kid)} matches several keys`,
        });
      }
      // JWKSInvalid, a non-200 answer, unparsable JSON: the issuer's fault, not the client's.
      logger.warn({ issuer: options.issuer, reason: reasonOf(error) }, "issuer key set unusable");
      throw backOff(`the issuer's key set is unusable: ${reasonOf(error)}`, error);
    } finally {
      noticeArrivedKeys();
    }
  };

  const issuerKeySet: IssuerKeySet = {
    getKey,
    get version() {
      noticeArrivedKeys();
      return version;
    },
    status() {
      noticeArrivedKeys();
      if (!current) return "not_loaded";
      const old = Date.now() - current.loadedAt > options.jwksMaxAgeMs;
      return old && failedSinceLoad ? "stale" : "loaded";
    },
    ageSeconds() {
      noticeArrivedKeys();
      return current ? (Date.now() - current.loadedAt) / 1000 : undefined;
    },
    maxAgeSeconds: options.jwksMaxAgeMs / 1000,
    close() {
      closed = true;
      clearTimeout(refreshTimer);
    },
  };
  observer.onKeySet(options.issuer, issuerKeySet);
  return issuerKeySet;
}

/**
 * Where to send a request for `url`: on another origin when `fetchOrigins` maps its origin (the
 * issuer's public host, unreachable from inside a container network) to one; else `url` itself.
 *
 * @example
 * toFetchUrl("http://localhost:3020/jwks", { "http://localhost:3020": "http://issuer:3020" }); // "http://issuer:3020/jwks"
 */
export function toFetchUrl(url: string, fetchOrigins: Readonly<Record<string, string>> = {}): string {
  const { origin } = new URL(url);
  const internal = Object.hasOwn(fetchOrigins, origin) ? fetchOrigins[origin] : undefined;
  return internal === undefined ? url : internal + url.slice(origin.length);
}

/** A value from a token, for a log line: JSON, cut short (a header can hold anything). */
export function quote(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 100 ? `${json.slice(0, 100)}…` : json;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

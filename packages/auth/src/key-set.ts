import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from "jose";
import { KeySetUnavailable, SigningKeyNotFound } from "./errors";

/** The part of a pino-style logger the key set writes to. */
export interface AuthLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface IssuerKeySetOptions {
  issuer: string;
  jwksUri?: string | undefined;
  fetchTimeoutMs: number;
  fetchCooldownMs: number;
  logger?: AuthLogger | undefined;
}

/** Signing-key lookup for `jwtVerify`, and a version for the verified-token cache. */
export interface IssuerKeySet {
  getKey: JWTVerifyGetKey;
  /** Goes up each time a key set arrives from the issuer; tokens verified before then may use retired keys. */
  readonly version: number;
}

/** After a failed fetch, requests that need the issuer fail fast for this long (at most the cooldown). */
const FAILURE_BACKOFF_MS = 5000;

const silentLogger: AuthLogger = { info() {}, warn() {} };

/**
 * The issuer's signing keys, found lazily through OpenID discovery (falling back to
 * `<issuer>.well-known/jwks.json`) and cached for the life of the process with `jose`'s remote key
 * set. Nothing is fetched until the first token arrives, so the API starts while the issuer is
 * down. A failure (issuer unreachable or 5xx, a discovery document naming another issuer, an
 * unusable key set) is never cached: the next request after a short backoff tries again.
 * An unknown `kid` triggers at most one refetch per cooldown window.
 */
export function createIssuerKeySet(options: IssuerKeySetOptions): IssuerKeySet {
  const logger = options.logger ?? silentLogger;
  const failureBackoffMs = Math.min(FAILURE_BACKOFF_MS, options.fetchCooldownMs);
  const retryAfterSeconds = Math.ceil(failureBackoffMs / 1000);
  let version = 0;
  let failedUntil = 0;
  let keySet: Promise<JWTVerifyGetKey> | undefined;

  /** Any failure to get usable keys: later requests fail fast until the backoff ends. */
  function backOff(cause?: unknown): KeySetUnavailable {
    failedUntil = Date.now() + failureBackoffMs;
    return new KeySetUnavailable(retryAfterSeconds, { cause });
  }

  /** Every request to the issuer goes through here: logged, timed out, backed off. */
  async function fetchFromIssuer(url: string, init: RequestInit = {}): Promise<Response> {
    const waitMs = failedUntil - Date.now();
    if (waitMs > 0) throw new KeySetUnavailable(Math.ceil(waitMs / 1000));
    const started = performance.now();
    const signal = init.signal ?? AbortSignal.timeout(options.fetchTimeoutMs);
    try {
      const response = await fetch(url, { ...init, signal, redirect: "manual" });
      const details = { url, status: response.status, durationMs: Math.round(performance.now() - started) };
      if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
      logger.info(details, "issuer key fetch");
      return response;
    } catch (cause) {
      const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      logger.warn(
        { url, reason, durationMs: Math.round(performance.now() - started) },
        "issuer key fetch failed",
      );
      throw backOff(cause);
    }
  }

  async function discoverJwksUri(): Promise<URL> {
    if (options.jwksUri) return new URL(options.jwksUri);
    const base = options.issuer.endsWith("/") ? options.issuer : `${options.issuer}/`;
    const response = await fetchFromIssuer(new URL(".well-known/openid-configuration", base).href);
    if (response.status === 200) {
      const metadata = (await response.json().catch(() => ({}))) as { issuer?: unknown; jwks_uri?: unknown };
      // OpenID Connect Discovery §4.3: the document must be about the issuer we were configured with.
      if (metadata.issuer !== options.issuer) {
        logger.warn(
          { expected: options.issuer, found: metadata.issuer },
          "discovery document names another issuer; check AUTH_ISSUER / AUTHOK_DOMAIN",
        );
        throw backOff();
      }
      if (typeof metadata.jwks_uri === "string") return new URL(metadata.jwks_uri);
    }
    return new URL(".well-known/jwks.json", base);
  }

  async function createKeySet(): Promise<JWTVerifyGetKey> {
    const jwksUri = await discoverJwksUri();
    return createRemoteJWKSet(jwksUri, {
      timeoutDuration: options.fetchTimeoutMs,
      cooldownDuration: options.fetchCooldownMs,
      // Keys stay cached for the life of the process; only an unknown kid triggers a refetch.
      cacheMaxAge: Number.POSITIVE_INFINITY,
      [customFetch]: async (url: string, init: RequestInit) => {
        const response = await fetchFromIssuer(url, init);
        if (response.status === 200) version += 1;
        return response;
      },
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
      if (error instanceof errors.JWKSNoMatchingKey) throw new SigningKeyNotFound({ cause: error });
      if (error instanceof errors.JWKSMultipleMatchingKeys) throw new SigningKeyNotFound({ cause: error });
      // JWKSInvalid, a non-200 answer, unparsable JSON: the issuer's fault, not the client's.
      logger.warn(
        { reason: error instanceof Error ? error.message : String(error) },
        "issuer key set unusable",
      );
      throw backOff(error);
    }
  };

  return {
    getKey,
    get version() {
      return version;
    },
  };
}

/**
 * One optional hook for metrics: what the auth package reports as it works. Every method is
 * optional and the default does nothing, so code that passes no observer pays nothing. Arguments are
 * plain values, never a token or a subject, and from small fixed sets, so they can be metric labels.
 */
import { DpopReplayStoreUnavailable, InvalidDpopProof, UseDpopNonce } from "./errors";
import type { KeysStatus } from "./key-set";

/** How one request to the issuer (discovery or JWKS) ended: answered, or failed (network, timeout, 5xx). */
export type KeyFetchOutcome = "success" | "failure";

/** What a DPoP proof's verification came to; a replayed proof is counted apart from other refusals. */
export type DpopProofOutcome = "accepted" | "refused" | "replayed";

/** One issuer's key set, read when metrics are scraped rather than on every request. */
export interface ObservedKeySet {
  status(): KeysStatus;
  /** Seconds since the current key set arrived; undefined before the first one. */
  ageSeconds(): number | undefined;
  /** How old the keys may get before a background refresh (AUTH_JWKS_MAX_AGE_S). */
  readonly maxAgeSeconds: number;
}

export interface AuthObserver {
  /** A key set was created for `issuer`; called once per key set, so its gauges can be read at scrape time. */
  onKeySet?(issuer: string, keySet: ObservedKeySet): void;
  /** A request to the issuer for its discovery document or key set ended. */
  onKeyFetch?(issuer: string, outcome: KeyFetchOutcome): void;
  /** The verified-token cache was asked for a token; `size()` reads how many it holds. */
  onTokenCache?(hit: boolean, size: () => number): void;
  /** A DPoP proof was accepted or refused; `reason` is a short label from a fixed set (see {@link dpopRefusalReason}). */
  onDpopProof?(outcome: DpopProofOutcome, reason: string | undefined): void;
  /** The DPoP replay store could not answer (the request was refused with 503). */
  onReplayStoreError?(): void;
}

const ignore = () => {};

/** The observer with every method present: the given ones, no-ops for the rest. */
export function completeObserver(observer: AuthObserver = {}): Required<AuthObserver> {
  return {
    onKeySet: observer.onKeySet?.bind(observer) ?? ignore,
    onKeyFetch: observer.onKeyFetch?.bind(observer) ?? ignore,
    onTokenCache: observer.onTokenCache?.bind(observer) ?? ignore,
    onDpopProof: observer.onDpopProof?.bind(observer) ?? ignore,
    onReplayStoreError: observer.onReplayStoreError?.bind(observer) ?? ignore,
  };
}

/** The label for a refused proof's error: the check that refused it, `nonce`, or `other` for anything else. */
export function dpopRefusalReason(error: unknown): string {
  if (error instanceof UseDpopNonce) return "nonce";
  return error instanceof InvalidDpopProof ? error.reason : "other";
}

/**
 * Wraps `authenticate` to report each DPoP proof's outcome and each replay-store failure. A request
 * whose token is bound (`cnf.jkt`) and accepted carried a valid proof; a refusal is a proof's when it
 * is a DPoP error. Without an observer method to call, `authenticate` is returned as it is.
 */
export function observeDpopProofs<R, T extends { claims: { cnf?: { jkt?: string } | undefined } }>(
  authenticate: (request: R) => Promise<T>,
  observer: AuthObserver = {},
): (request: R) => Promise<T> {
  if (!observer.onDpopProof && !observer.onReplayStoreError) return authenticate;
  const { onDpopProof, onReplayStoreError } = completeObserver(observer);
  return async (request) => {
    try {
      const verified = await authenticate(request);
      if (verified.claims.cnf?.jkt !== undefined) onDpopProof("accepted", undefined);
      return verified;
    } catch (error) {
      if (error instanceof DpopReplayStoreUnavailable) onReplayStoreError();
      else if (error instanceof InvalidDpopProof || error instanceof UseDpopNonce) {
        const reason = dpopRefusalReason(error);
        onDpopProof(reason === "replayed" ? "replayed" : "refused", reason);
      }
      throw error;
    }
  };
}

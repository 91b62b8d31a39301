import { createHash } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload } from "jose";
import { z } from "zod";
import { type AuthObserver, observeDpopProofs } from "./auth-observer";
import { MAX_AUTHORIZATION_HEADER_LENGTH, parseAuthorizationHeader } from "./authorization-header";
import { ALLOWED_ALGORITHMS, type SigningAlgorithm } from "./config";
import type { DpopNonces } from "./dpop-nonce";
import { createProofKeyCache, type ProofKey, type ProofKeyCache, refuseProofJwk } from "./dpop-proof-key";
import {
  AuthorizationHeaderInvalid,
  AuthorizationHeaderMissing,
  DpopReplayStoreUnavailable,
  InvalidDpopProof,
  UseDpopNonce,
} from "./errors";
import { ReplayShareExceeded, type ReplayStore } from "./replay-store";
import type { AccessTokenVerifier, VerifiedAccessToken } from "./verifier";

/**
 * `allowed`: Bearer and DPoP tokens are both accepted. `required`: only DPoP. `disabled`: only Bearer.
 * In every mode a DPoP-bound token (one with `cnf.jkt`) is refused when sent as Bearer (RFC 9449 §7.2).
 */
export const DPOP_MODES = ["allowed", "required", "disabled"] as const;
export type DpopMode = (typeof DPOP_MODES)[number];

/** What proofs may be signed with by default: the algorithms browsers and the `dpop` package use. */
export const DEFAULT_DPOP_ALGORITHMS = ["ES256", "EdDSA", "Ed25519", "PS256", "RS256"] as const;

/** Options of {@link createRequestAuthenticator} that are plain configuration. */
const dpopConfigSchema = z.object({
  mode: z.enum(DPOP_MODES).default("allowed"),
  /** Asymmetric algorithms only (RFC 9449 §4.2): `none` and `HS*` cannot be listed. */
  algorithms: z
    .array(z.enum(ALLOWED_ALGORITHMS))
    .min(1)
    .default([...DEFAULT_DPOP_ALGORITHMS]),
  /** A proof's `iat` may be this many seconds in the past or the future. */
  proofWindowSeconds: z.number().int().min(1).max(600).default(60),
});

export type DpopConfig = z.input<typeof dpopConfigSchema>;

/** The parts of an HTTP request that authentication reads. */
export interface AuthenticatedRequest {
  method: string;
  /** The request target as received (`/api/private?x=1`); only its path is used. */
  url: string;
  headers: { authorization?: string | string[] | undefined; dpop?: string | string[] | undefined };
}

export interface RequestAuthenticator {
  /**
   * Verifies the request's access token and, for the DPoP scheme, its proof. Resolves with the
   * verified token or rejects with an AuthError; never anything else.
   */
  authenticate(request: AuthenticatedRequest): Promise<VerifiedAccessToken>;
  /** The resolved DPoP settings, for challenges and the protected-resource metadata. */
  readonly dpop: { mode: DpopMode; algorithms: readonly SigningAlgorithm[] };
}

/** Longer proofs are refused before any parsing or crypto. */
const MAX_PROOF_LENGTH = 8192;
/** Members that only a private or symmetric JWK has (RFC 7518 §6). */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;
const DPOP_SCHEME = /^DPoP +([A-Za-z0-9\-._~+/]+=*)$/i;
const REQUIRED_CLAIMS = ["jti", "iat", "htm", "htu"];
const NOT_A_PROOF = "The DPoP proof is not a valid JWT with jti, iat, htm and htu";

/**
 * Makes the request authenticator: Bearer tokens, and DPoP-bound tokens with their proof
 * (RFC 9449 §4.3 and §7). The access token goes through `verifier`, whose cache may serve it; the
 * proof is checked on every request, and its `jti` recorded in `replayStore`.
 *
 * @example
 * const authenticator = createRequestAuthenticator(verifier, {
 *   dpop: { mode: "allowed" },
 *   publicUrl: "https://api.example.com",
 *   replayStore: createMemoryReplayStore(),
 * });
 * const { claims } = await authenticator.authenticate({ method: req.method, url: req.url, headers: req.headers });
 */
export function createRequestAuthenticator(
  verifier: AccessTokenVerifier,
  options: {
    dpop?: DpopConfig;
    /**
     * The API's public URL (`API_PUBLIC_URL`), or a function returning it once known: a proof's
     * `htu` must be it followed by the request's path. Never the Host header, which the client sets.
     */
    publicUrl: string | (() => string);
    replayStore: ReplayStore;
    nonces?: DpopNonces | undefined;
    /** Told of each DPoP proof's outcome and each replay-store failure, for metrics (see auth-observer.ts). */
    observer?: AuthObserver | undefined;
    /** Where proof keys are kept once imported; by default a cache of this authenticator's own. */
    proofKeys?: ProofKeyCache;
  },
): RequestAuthenticator {
  const config = dpopConfigSchema.parse(options.dpop ?? {});
  const { replayStore, nonces, proofKeys = createProofKeyCache() } = options;
  const algorithms = new Set<string>(config.algorithms);
  const publicUrl = options.publicUrl;
  const publicBase = () => (typeof publicUrl === "string" ? publicUrl : publicUrl()).replace(/\/+$/, "");

  async function authenticate(request: AuthenticatedRequest): Promise<VerifiedAccessToken> {
    const authorization = request.headers.authorization;
    const dpopScheme = typeof authorization === "string" && /^dpop(\s|$)/i.test(authorization.trimStart());

    if (!dpopScheme && config.mode === "required") {
      if (authorization === undefined || (typeof authorization === "string" && authorization.trim() === "")) {
        throw new AuthorizationHeaderMissing();
      }
      throw new AuthorizationHeaderInvalid("Authorization header must use the DPoP scheme");
    }
    if (!dpopScheme || config.mode === "disabled") {
      // Bearer, with the quickstart's parser and errors: in disabled mode "DPoP ..." is just not Bearer.
      const token = parseAuthorizationHeader(authorization);
      const verified = await verifier.verify(token);
      if (verified.claims.cnf?.jkt !== undefined) {
        throw new InvalidDpopProof(
          "bound_token_as_bearer",
          "The access token is bound to a DPoP key: send it with the DPoP scheme and a DPoP proof",
        );
      }
      return verified;
    }

    // The cheap checks first, then the token (a cache hit for a real client) and its binding to the
    // proof's key, and the proof's signature last: a request without a good token buys no signature check.
    const token = parseDpopAuthorization(authorization as string);
    const proof = readProofHeader(request.headers.dpop);
    const claimed = checkProofClaims(proof, {
      method: request.method,
      htu: `${publicBase()}${pathOf(request.url)}`,
      accessToken: token,
    });
    const verified = await verifier.verify(token);
    const jkt = verified.claims.cnf?.jkt;
    if (jkt === undefined)
      throw new InvalidDpopProof("token_not_bound", "The access token is not bound to a DPoP key");
    if (jkt !== claimed.key.thumbprint) {
      throw new InvalidDpopProof(
        "key_mismatch",
        "The access token is bound to another key than the DPoP proof's",
      );
    }
    await verifyProofSignature(proof, claimed.key);
    // Last, so that a refused proof never takes up a jti.
    let replayed: boolean;
    try {
      replayed = await replayStore.seen(
        `${claimed.key.thumbprint}:${claimed.jti}`,
        (claimed.iat + config.proofWindowSeconds + 1) * 1000,
        claimed.key.thumbprint,
      );
    } catch (cause) {
      if (cause instanceof ReplayShareExceeded) {
        throw new InvalidDpopProof(
          "too_many_proofs",
          "This DPoP key has sent too many proofs within the proof window; wait before sending more",
          { cause },
        );
      }
      throw new DpopReplayStoreUnavailable({ cause });
    }
    if (replayed) throw new InvalidDpopProof("replayed", "The DPoP proof has already been used");
    return verified;
  }

  /** Every check of the proof that needs no signature: its header, its key's shape, its claims. */
  function checkProofClaims(
    proof: string,
    expected: { method: string; htu: string; accessToken: string },
  ): { key: ProofKey; jti: string; iat: number } {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch (cause) {
      throw new InvalidDpopProof("malformed", "The DPoP proof is not a JWT", { cause });
    }
    if (header.typ !== "dpop+jwt") throw new InvalidDpopProof("typ", 'The DPoP proof typ must be "dpop+jwt"');
    if (typeof header.alg !== "string" || !algorithms.has(header.alg)) {
      throw new InvalidDpopProof("alg", `The DPoP proof alg must be one of ${config.algorithms.join(", ")}`);
    }
    const jwk = header.jwk as Record<string, unknown> | undefined;
    if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
      throw new InvalidDpopProof("jwk", "The DPoP proof has no jwk header");
    }
    if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) {
      throw new InvalidDpopProof("jwk", "The DPoP proof jwk must be a public key");
    }
    const jwkRefusal = refuseProofJwk(jwk, header.alg);
    if (jwkRefusal !== undefined) throw new InvalidDpopProof("jwk", jwkRefusal);

    let payload: JWTPayload;
    try {
      payload = decodeJwt(proof);
    } catch (cause) {
      throw new InvalidDpopProof("claims", NOT_A_PROOF, { cause });
    }
    const { jti, iat, htm, htu, ath } = payload;
    if (REQUIRED_CLAIMS.some((claim) => payload[claim] === undefined) || typeof iat !== "number") {
      throw new InvalidDpopProof("claims", NOT_A_PROOF);
    }
    if (typeof jti !== "string" || jti.length === 0 || jti.length > 256) {
      throw new InvalidDpopProof("jti", "The DPoP proof jti must be a string of 1 to 256 characters");
    }
    if (htm !== expected.method) {
      throw new InvalidDpopProof("htm", "The DPoP proof htm does not match the request method");
    }
    if (!sameTargetUri(htu, expected.htu)) {
      throw new InvalidDpopProof("htu", "The DPoP proof htu does not match the request URL");
    }
    if (Math.abs(Date.now() / 1000 - iat) > config.proofWindowSeconds) {
      throw new InvalidDpopProof("iat", "The DPoP proof iat is outside the accepted window");
    }
    if (ath !== accessTokenHash(expected.accessToken)) {
      throw new InvalidDpopProof("ath", "The DPoP proof ath does not match the access token");
    }
    if (nonces !== undefined && !nonces.isValid(payload.nonce)) throw new UseDpopNonce(nonces.current());
    return { key: proofKeys.keyOf(jwk, header.alg), jti, iat };
  }

  /** The proof's signature with its jwk (imported once per key), and jose's rules for the rest of the JWT. */
  async function verifyProofSignature(proof: string, key: ProofKey): Promise<void> {
    try {
      await key.verify(proof, {
        typ: "dpop+jwt",
        algorithms: config.algorithms,
        requiredClaims: REQUIRED_CLAIMS,
      });
    } catch (cause) {
      if (cause instanceof errors.JWSSignatureVerificationFailed) {
        throw new InvalidDpopProof("signature", "The DPoP proof signature does not verify with its jwk", {
          cause,
        });
      }
      throw new InvalidDpopProof("claims", NOT_A_PROOF, { cause });
    }
  }

  return {
    authenticate: observeDpopProofs(authenticate, options.observer),
    dpop: { mode: config.mode, algorithms: config.algorithms },
  };
}

/** The `ath` claim for an access token: base64url of its SHA-256 (RFC 9449 §4.2). */
function accessTokenHash(accessToken: string): string {
  return createHash("sha256").update(accessToken).digest("base64url");
}

/** The token of an `Authorization: DPoP <token>` header (RFC 9449 §7.1). */
function parseDpopAuthorization(value: string): string {
  if (value.length > MAX_AUTHORIZATION_HEADER_LENGTH) {
    throw new AuthorizationHeaderInvalid("Authorization header is too large");
  }
  const match = DPOP_SCHEME.exec(value.trim());
  if (!match) throw new AuthorizationHeaderInvalid("Authorization header must be DPoP token");
  return match[1] as string;
}

/** Exactly one `DPoP` header: Node joins repeated ones with ", ", which no JWT contains. */
function readProofHeader(value: string | string[] | undefined): string {
  if (value === undefined || (typeof value === "string" && value.trim() === "")) {
    throw new InvalidDpopProof("missing", "The DPoP scheme needs a DPoP proof header");
  }
  if (Array.isArray(value) || value.includes(",")) {
    throw new InvalidDpopProof("multiple", "Exactly one DPoP proof header is expected");
  }
  if (value.length > MAX_PROOF_LENGTH) throw new InvalidDpopProof("too_large", "The DPoP proof is too large");
  return value.trim();
}

/** The path of a request target, without query or fragment (origin-form or absolute-form). */
function pathOf(target: string): string {
  const path = target.split(/[?#]/, 1)[0] ?? "";
  if (path.startsWith("/")) return path;
  return URL.parse(target)?.pathname ?? "/";
}

/** RFC 9449 §4.3: compared after URL normalization; a proof's htu has no query or fragment. */
function sameTargetUri(htu: unknown, expected: string): boolean {
  if (typeof htu !== "string" || htu.includes("?") || htu.includes("#")) return false;
  const given = URL.parse(htu);
  const wanted = URL.parse(expected);
  return given !== null && wanted !== null && given.href === wanted.href;
}

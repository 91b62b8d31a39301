/**
 * A client's DPoP key for tests, and proofs made with it: valid by default, each field overridable
 * to build the attacks (another key's signature, a private jwk, `alg: none`, HS256, ...).
 */
import { createHash, randomUUID } from "node:crypto";
import {
  base64url,
  calculateJwkThumbprint,
  exportJWK,
  type GenerateKeyPairResult,
  generateKeyPair,
  type JWK,
  SignJWT,
} from "jose";

export interface ProofOptions {
  htm: string;
  htu: string;
  /** Sets `ath`; leave out for a proof without one (as a token request's proof). */
  accessToken?: string;
  /** Overrides the `ath` computed from `accessToken`. */
  ath?: string;
  /** Seconds since the epoch; default now. */
  iat?: number;
  /** Default a fresh UUID. */
  jti?: string;
  nonce?: string;
  /** Default the key's own algorithm. `none` makes an unsigned proof; `HS256` one keyed by a shared secret. */
  alg?: string;
  /** Default `dpop+jwt`. */
  typ?: string;
  /** The jwk put in the header instead of this key's public one. */
  jwk?: JWK;
  /** Signs with another key than the one in the header. */
  signWith?: DpopKey;
}

export interface DpopKey {
  alg: string;
  publicJwk: JWK;
  /** With private members: what a careless client might put in `jwk`. */
  privateJwk: JWK;
  privateKey: GenerateKeyPairResult["privateKey"];
  /** RFC 7638 SHA-256 thumbprint: the `cnf.jkt` of tokens bound to this key. */
  thumbprint: string;
  proof(options: ProofOptions): Promise<string>;
}

export async function createDpopKey(alg = "ES256"): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const key: DpopKey = {
    alg,
    publicJwk,
    privateJwk: await exportJWK(privateKey),
    privateKey,
    thumbprint: await calculateJwkThumbprint(publicJwk, "sha256"),
    async proof(options) {
      const claims = {
        htm: options.htm,
        htu: options.htu,
        iat: options.iat ?? Math.floor(Date.now() / 1000),
        jti: options.jti ?? randomUUID(),
        ...(options.accessToken === undefined && options.ath === undefined
          ? {}
          : {
              ath:
                options.ath ??
                createHash("sha256")
                  .update(options.accessToken ?? "")
                  .digest("base64url"),
            }),
        ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
      };
      const header = {
        alg: options.alg ?? alg,
        typ: options.typ ?? "dpop+jwt",
        jwk: options.jwk ?? publicJwk,
      };
      if (header.alg === "none") {
        const encode = (part: object) => base64url.encode(JSON.stringify(part));
        return `${encode(header)}.${encode(claims)}.`;
      }
      const signer = new SignJWT(claims).setProtectedHeader(header);
      if (header.alg.startsWith("HS"))
        return signer.sign(new TextEncoder().encode("a shared secret, not a key pair"));
      return signer.sign((options.signWith ?? key).privateKey);
    },
  };
  return key;
}

import { createHash } from "node:crypto";
import { importJWK, type JWK, type JWTVerifyOptions, type JWTVerifyResult, jwtVerify } from "jose";

/** The key a proof's `jwk` must be for its `alg`: its `kty`, and its curve for EC and OKP keys. */
const KEY_TYPES: Record<string, { kty: string; crv?: readonly string[] }> = {
  ES256: { kty: "EC", crv: ["P-256"] },
  ES384: { kty: "EC", crv: ["P-384"] },
  ES512: { kty: "EC", crv: ["P-521"] },
  EdDSA: { kty: "OKP", crv: ["Ed25519", "Ed448"] },
  Ed25519: { kty: "OKP", crv: ["Ed25519"] },
};
/** The members of each key type's RFC 7638 thumbprint, in lexicographic order. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ["crv", "kty", "x", "y"],
  OKP: ["crv", "kty", "x"],
  RSA: ["e", "kty", "n"],
};
/** Larger RSA keys make each signature check many times dearer, and no DPoP client needs one. */
const MAX_RSA_BITS = 4096;

/**
 * Why a proof's `jwk` cannot be checked with `alg`, or undefined when it can: the key type and curve
 * the algorithm needs, every thumbprint member a string, and an RSA modulus of at most 4096 bits
 * (read from `n` before anything imports it).
 */
export function refuseProofJwk(jwk: Record<string, unknown>, alg: string): string | undefined {
  const expected = KEY_TYPES[alg] ?? { kty: "RSA" };
  const members = THUMBPRINT_MEMBERS[expected.kty] ?? [];
  if (jwk.kty !== expected.kty || members.some((member) => typeof jwk[member] !== "string")) {
    return `The DPoP proof jwk must be an ${expected.kty} public key for ${alg}`;
  }
  if (expected.crv && !expected.crv.includes(jwk.crv as string)) {
    return `The DPoP proof jwk curve does not fit ${alg}`;
  }
  if (expected.kty === "RSA" && modulusBits(jwk.n as string) > MAX_RSA_BITS) {
    return `The DPoP proof jwk must be an RSA key of at most ${MAX_RSA_BITS} bits`;
  }
  return undefined;
}

/** The bit length of a base64url big-endian modulus, leading zero bytes left out. */
function modulusBits(n: string): number {
  const bytes = Buffer.from(n, "base64url");
  const first = bytes.findIndex((byte) => byte !== 0);
  if (first < 0) return 0;
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first] as number));
}

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK that {@link refuseProofJwk} let through, hashed
 * synchronously: the JSON of its required members in lexicographic order, without whitespace.
 */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty as string] ?? [];
  const canonical = `{${members.map((member) => `${JSON.stringify(member)}:${JSON.stringify(jwk[member])}`).join(",")}}`;
  return createHash("sha256").update(canonical).digest("base64url");
}

/** A proof's key: its thumbprint, and the proof's verification with it. */
export interface ProofKey {
  readonly thumbprint: string;
  /** Checks the proof's signature (and jose's claims-set rules) with this key. Rejects with jose's errors. */
  verify(proof: string, options: JWTVerifyOptions): Promise<JWTVerifyResult>;
}

/** Imported DPoP proof keys, each with its thumbprint, so a client's repeated key costs neither again. */
export interface ProofKeyCache {
  /** The key of `jwk` for `alg`: the cached one, or one whose first good verification caches it. */
  keyOf(jwk: Record<string, unknown>, alg: string): ProofKey;
  /** Counts since creation, and the entries held now. */
  readonly stats: { imports: number; signatureChecks: number; readonly size: number };
}

/**
 * A bounded cache of imported proof keys, keyed by the algorithm and the JWK's exact members (as
 * JSON): a different member or order is another key, imported on its own. A key enters only once a
 * proof signed with it has verified, so requests that fail an earlier check add nothing; past
 * `maxEntries` the least recently used key leaves, so a flood of fresh keys evicts, never grows.
 *
 * @example
 * const keys = createProofKeyCache();
 * const key = keys.keyOf(header.jwk, header.alg);
 * if (key.thumbprint === claims.cnf.jkt) await key.verify(proof, { algorithms: ["ES256"] });
 */
export function createProofKeyCache({ maxEntries = 1000 }: { maxEntries?: number } = {}): ProofKeyCache {
  const entries = new Map<string, ProofKey>();
  const stats = {
    imports: 0,
    signatureChecks: 0,
    get size() {
      return entries.size;
    },
  };

  function keyOf(jwk: Record<string, unknown>, alg: string): ProofKey {
    const id = `${alg}.${JSON.stringify(jwk)}`;
    const cached = entries.get(id);
    if (cached) {
      // Re-inserted, so the Map's order is least recently used first.
      entries.delete(id);
      entries.set(id, cached);
      return cached;
    }
    let imported: ReturnType<typeof importJWK> | undefined;
    const key: ProofKey = {
      thumbprint: jwkThumbprint(jwk),
      async verify(proof, options) {
        if (imported === undefined) {
          stats.imports += 1;
          imported = importJWK(jwk as JWK, alg);
        }
        const cryptoKey = await imported;
        stats.signatureChecks += 1;
        const result = await jwtVerify(proof, cryptoKey, options);
        if (!entries.has(id)) {
          entries.set(id, key);
          if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
        }
        return result;
      },
    };
    return key;
  }

  return { keyOf, stats };
}

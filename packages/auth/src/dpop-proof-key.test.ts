import { randomBytes } from "node:crypto";
import { calculateJwkThumbprint, errors, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createDpopKey } from "../testing/dpop-key";
import { createProofKeyCache, jwkThumbprint, refuseProofJwk } from "./dpop-proof-key";

/** A public RSA JWK whose modulus has exactly `bits` bits (not a real key: only its size is read). */
function rsaJwkOfBits(bits: number): JWK {
  const n = randomBytes(bits / 8);
  n[0] = (n[0] as number) | 0x80;
  return { kty: "RSA", e: "AQAB", n: n.toString("base64url") };
}

describe("jwkThumbprint", () => {
  it.each(["ES256", "RS256", "Ed25519", "ES384"])(
    "is jose's RFC 7638 thumbprint for a %s key",
    async (alg) => {
      const { publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: "extra members are not part of it" };
      expect(jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk, "sha256"));
    },
  );
});

describe("refuseProofJwk", () => {
  it("lets through a key that fits its algorithm", async () => {
    const key = await createDpopKey("ES256");
    expect(refuseProofJwk(key.publicJwk, "ES256")).toBeUndefined();
    expect(refuseProofJwk(rsaJwkOfBits(4096), "PS256")).toBeUndefined();
  });

  it.each<[string, JWK, string, string]>([
    ["an RSA modulus above 4096 bits", rsaJwkOfBits(4104), "RS256", "an RSA key of at most 4096 bits"],
    ["a 16384-bit RSA modulus", rsaJwkOfBits(16384), "PS256", "an RSA key of at most 4096 bits"],
    ["an EC key for RS256", { kty: "EC", crv: "P-256", x: "a", y: "b" }, "RS256", "an RSA public key"],
    ["an RSA key for ES256", rsaJwkOfBits(2048), "ES256", "an EC public key"],
    ["a P-384 key for ES256", { kty: "EC", crv: "P-384", x: "a", y: "b" }, "ES256", "curve does not fit"],
    ["an EC key without y", { kty: "EC", crv: "P-256", x: "a" }, "ES256", "an EC public key"],
    ["a member that is no string", { kty: "OKP", crv: "Ed25519", x: 1 } as unknown as JWK, "EdDSA", "OKP"],
  ])("refuses %s", (_name, jwk, alg, message) => {
    expect(refuseProofJwk(jwk as Record<string, unknown>, alg)).toContain(message);
  });
});

describe("createProofKeyCache", () => {
  const htu = "https://api.example.test/api/private";
  const options = { typ: "dpop+jwt", algorithms: ["ES256"] };

  it("imports a repeated key once, and counts every signature check", async () => {
    const client = await createDpopKey("ES256");
    const keys = createProofKeyCache();
    for (let i = 0; i < 3; i += 1) {
      const key = keys.keyOf(client.publicJwk, "ES256");
      expect(key.thumbprint).toBe(client.thumbprint);
      await key.verify(await client.proof({ htm: "GET", htu }), options);
    }
    expect([keys.stats.imports, keys.stats.signatureChecks, keys.stats.size]).toEqual([1, 3, 1]);
  });

  it("keeps a key only once a proof verified with it", async () => {
    const [client, other] = await Promise.all([createDpopKey("ES256"), createDpopKey("ES256")]);
    const keys = createProofKeyCache();
    const forged = await client.proof({ htm: "GET", htu, signWith: other });
    await expect(keys.keyOf(client.publicJwk, "ES256").verify(forged, options)).rejects.toThrow();
    expect(keys.stats.size).toBe(0);
  });

  it("evicts under a flood of fresh keys instead of growing, least recently used first", async () => {
    const keys = createProofKeyCache({ maxEntries: 3 });
    const regular = await createDpopKey("ES256");
    const verifyWith = async (client: typeof regular) =>
      keys.keyOf(client.publicJwk, "ES256").verify(await client.proof({ htm: "GET", htu }), options);
    await verifyWith(regular);
    for (let i = 0; i < 10; i += 1) {
      await verifyWith(await createDpopKey("ES256"));
      await verifyWith(regular); // used between every fresh key, so never the least recently used
      expect(keys.stats.size).toBeLessThanOrEqual(3);
    }
    expect(keys.stats.imports).toBe(11);
  });
});

describe("ProofKey.verify", () => {
  const htu = "https://api.example.test/api/private";

  it.each(["ES256", "ES384", "PS256", "RS256", "EdDSA", "Ed25519"])(
    "accepts a %s proof, and refuses a forged one for its signature",
    async (alg) => {
      const [client, other] = await Promise.all([createDpopKey(alg), createDpopKey(alg)]);
      const options = { typ: "dpop+jwt", algorithms: [alg] };
      const key = createProofKeyCache().keyOf(client.publicJwk, alg);
      await expect(key.verify(await client.proof({ htm: "GET", htu }), options)).resolves.toBeDefined();
      const forged = await client.proof({ htm: "GET", htu, signWith: other });
      await expect(key.verify(forged, options)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    },
  );

  it("refuses a proof with a crit header, though its signature is good (RFC 7515 §4.1.11)", async () => {
    const client = await createDpopKey("ES256");
    const proof = await new SignJWT({ htm: "GET", htu, iat: Math.floor(Date.now() / 1000), jti: "crit" })
      .setProtectedHeader({
        alg: "ES256",
        typ: "dpop+jwt",
        jwk: client.publicJwk,
        crit: ["x-ext"],
        "x-ext": true,
      })
      .sign(client.privateKey, { crit: { "x-ext": true } });
    const key = createProofKeyCache().keyOf(client.publicJwk, "ES256");
    await expect(key.verify(proof, { typ: "dpop+jwt", algorithms: ["ES256"] })).rejects.toBeInstanceOf(
      errors.JOSENotSupported,
    );
  });

  it("refuses a proof whose algorithm the options do not list", async () => {
    const client = await createDpopKey("ES256");
    const key = createProofKeyCache().keyOf(client.publicJwk, "ES256");
    const proof = await client.proof({ htm: "GET", htu });
    await expect(key.verify(proof, { typ: "dpop+jwt", algorithms: ["PS256"] })).rejects.toBeInstanceOf(
      errors.JOSEAlgNotAllowed,
    );
  });
});

/**
 * What a DPoP request may cost before it has shown a good access token: the proof's signature is
 * checked last, so a garbage token, a stale proof or an oversized key buys no signature check (and
 * no key import). Counted through the authenticator's proof-key cache, not timed.
 */
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDpopKey, type DpopKey } from "../testing/dpop-key";
import { startTestIssuer, type TestIssuer } from "../testing/test-issuer";
import { type AuthenticatedRequest, createRequestAuthenticator } from "./dpop";
import { createProofKeyCache } from "./dpop-proof-key";
import { AuthError } from "./errors";
import { createMemoryReplayStore } from "./replay-store";
import { createAccessTokenVerifier } from "./verifier";

const PUBLIC_URL = "https://api.example.test";
const HTU = `${PUBLIC_URL}/api/private`;

let issuer: TestIssuer;
let rsaKey: DpopKey;
let esKey: DpopKey;
let boundToken: string;
beforeAll(async () => {
  issuer = await startTestIssuer();
  [rsaKey, esKey] = await Promise.all([createDpopKey("RS256"), createDpopKey("ES256")]);
  boundToken = await issuer.sign({ cnf: { jkt: esKey.thumbprint } });
});
afterAll(() => issuer.close());

function setUp() {
  const proofKeys = createProofKeyCache();
  const verifier = createAccessTokenVerifier(issuer.verifierConfig);
  const authenticator = createRequestAuthenticator(verifier, {
    publicUrl: PUBLIC_URL,
    replayStore: createMemoryReplayStore(),
    proofKeys,
  });
  const send = async (token: string, proof: string) => {
    const request: AuthenticatedRequest = {
      method: "GET",
      url: "/api/private",
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    };
    return authenticator.authenticate(request).then(
      () => "accepted",
      (error: unknown) => (error instanceof AuthError ? `${error.code}: ${error.description}` : error),
    );
  };
  return { send, stats: proofKeys.stats };
}

describe("the cost of a DPoP request before its token is good", () => {
  it("a garbage token with a 4096-bit RSA proof (its ath right) costs no signature check", async () => {
    const { publicKey } = await generateKeyPair("RS256", { modulusLength: 4096, extractable: true });
    const garbage = "garbage.token.value";
    const proof = await rsaKey.proof({
      htm: "GET",
      htu: HTU,
      accessToken: garbage,
      jwk: await exportJWK(publicKey),
    });
    const { send, stats } = setUp();
    for (let i = 0; i < 20; i += 1) {
      expect(await send(garbage, proof)).toBe("invalid_header: Unable to parse authentication token.");
    }
    expect([stats.imports, stats.signatureChecks, stats.size]).toEqual([0, 0, 0]);
  });

  it("a proof with a 16384-bit RSA key is refused for its size, before anything is imported", async () => {
    const { n } = rsaKey.publicJwk;
    // The modulus repeated to 16384 bits: only its length is read.
    const jwk = { kty: "RSA", e: "AQAB", n: `${n}`.repeat(8).slice(0, 2731) };
    const proof = await rsaKey.proof({ htm: "GET", htu: HTU, accessToken: "garbage", jwk });
    const { send, stats } = setUp();
    expect(await send("garbage", proof)).toBe(
      "invalid_dpop_proof: The DPoP proof jwk must be an RSA key of at most 4096 bits",
    );
    expect([stats.imports, stats.signatureChecks]).toEqual([0, 0]);
  });

  it("a stale proof with a good token is refused for its iat without a signature check", async () => {
    const iat = Math.floor(Date.now() / 1000) - 3600;
    const proof = await esKey.proof({ htm: "GET", htu: HTU, accessToken: boundToken, iat });
    const { send, stats } = setUp();
    expect(await send(boundToken, proof)).toBe(
      "invalid_dpop_proof: The DPoP proof iat is outside the accepted window",
    );
    expect(stats.signatureChecks).toBe(0);
  });

  it("a real client's requests cost one signature check each, and one key import in all", async () => {
    const { send, stats } = setUp();
    for (let i = 0; i < 3; i += 1) {
      expect(
        await send(boundToken, await esKey.proof({ htm: "GET", htu: HTU, accessToken: boundToken })),
      ).toBe("accepted");
    }
    expect([stats.imports, stats.signatureChecks]).toEqual([1, 3]);
  });
});

import { generateKeyPair, generateProof, type KeyPair } from "dpop";

/** The bench's DPoP key: ES256, the algorithm `pnpm get-token --dpop` and the SPA use. */
export function createDpopKey(): Promise<KeyPair> {
  return generateKeyPair("ES256");
}

/**
 * `count` proofs for `GET url` with `accessToken` (its `ath`), each with its own `jti` and the
 * current `iat`: the API refuses a proof it has seen, so a load needs one per request.
 */
export function getProofs(key: KeyPair, url: string, accessToken: string, count: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, () => generateProof(key, url, "GET", undefined, accessToken)),
  );
}

import { describe, expect, it } from "vitest";
import { startTestIssuer } from "../testing";
import { dpopRefusalReason } from "./auth-observer";
import { InvalidDpopProof, TokenExpired, UseDpopNonce } from "./errors";
import { createAccessTokenVerifier } from "./verifier";

describe("dpopRefusalReason", () => {
  it("labels a refused proof with the check that refused it, a nonce refusal as nonce, anything else as other", () => {
    expect(dpopRefusalReason(new InvalidDpopProof("htm", "The DPoP proof htm does not match"))).toBe("htm");
    expect(dpopRefusalReason(new InvalidDpopProof("replayed", "The DPoP proof has already been used"))).toBe(
      "replayed",
    );
    expect(dpopRefusalReason(new UseDpopNonce("n"))).toBe("nonce");
    expect(dpopRefusalReason(new TokenExpired())).toBe("other");
  });
});

describe("the observer", () => {
  it("is optional method by method: a verifier told only of cache lookups works and reports them", async () => {
    const issuer = await startTestIssuer();
    const lookups: [boolean, number][] = [];
    const verifier = createAccessTokenVerifier(issuer.verifierConfig, {
      observer: { onTokenCache: (hit, size) => lookups.push([hit, size()]) },
    });
    try {
      const token = await issuer.sign();
      await verifier.verify(token);
      await verifier.verify(token);
      // The size is read when asked: by then the first lookup's token had been stored.
      expect(lookups).toEqual([
        [false, 0],
        [true, 1],
      ]);
    } finally {
      verifier.close();
      await issuer.close();
    }
  });
});

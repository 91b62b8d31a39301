import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startTestIssuer } from "../testing";
import { dpopRefusalReason } from "./auth-observer";
import { InvalidDpopProof, TokenExpired, UseDpopNonce } from "./errors";
import { createAccessTokenVerifier } from "./verifier";

describe("dpopRefusalReason", () => {
  // Every refusal dpop.ts can give, read from its source: a new one without a reason fails here.
  const descriptions = [
    ...readFileSync(new URL("./dpop.ts", import.meta.url), "utf8").matchAll(
      /"((?:The DPoP|This DPoP|The access token|Exactly one DPoP)[^"]*)"/g,
    ),
  ].map((match) => match[1] as string);

  it("gives each of dpop.ts's refusals a reason of its own, from a small fixed set", () => {
    expect(descriptions.length).toBeGreaterThan(15);
    const reasons = descriptions.map((description) => dpopRefusalReason(new InvalidDpopProof(description)));
    expect(reasons).not.toContain("other");
    for (const reason of reasons) expect(reason).toMatch(/^[a-z_]{2,25}$/);
    expect(dpopRefusalReason(new InvalidDpopProof("The DPoP proof has already been used"))).toBe("replayed");
    expect(
      dpopRefusalReason(new InvalidDpopProof("The DPoP proof htm does not match the request method")),
    ).toBe("htm");
  });

  it("labels a nonce refusal, and anything else as other rather than itself", () => {
    expect(dpopRefusalReason(new UseDpopNonce("n"))).toBe("nonce");
    expect(dpopRefusalReason(new InvalidDpopProof("something new, with a token eyJ..."))).toBe("other");
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

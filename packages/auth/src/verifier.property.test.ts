/**
 * Property-based tests: over random and mutated tokens, nothing is accepted that was not signed by
 * a published key with valid claims, and nothing escapes the error mapping as anything but an AuthError.
 */
import fc from "fast-check";
import { base64url } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authOutcome, createSigningKey, type SigningKey, startTestIssuer, type TestIssuer } from "../testing";
import { parseAuthorizationHeader } from "./authorization-header";
import { AuthError } from "./errors";
import { type AccessTokenVerifier, createAccessTokenVerifier } from "./verifier";

let issuer: TestIssuer;
let verifier: AccessTokenVerifier;
let stranger: SigningKey;
let validToken: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  verifier = createAccessTokenVerifier(issuer.verifierConfig);
  stranger = await createSigningKey();
  validToken = await issuer.sign();
  await verifier.verify(validToken); // warm the key cache
});
afterAll(() => issuer.close());

/** Resolves "accepted" or the AuthError's code; any other rejection fails the property. */
const outcome = (token: string) => authOutcome(verifier.verify(token));

const decoded = (token: string) =>
  token.split(".").map((part) => Buffer.from(base64url.decode(part)).toString("hex"));

describe("parseAuthorizationHeader, for any header value", () => {
  it("returns a token without whitespace or throws an AuthError", () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: "binary", maxLength: 300 }), { nil: undefined }), (value) => {
        try {
          const token = parseAuthorizationHeader(value);
          expect(token).toMatch(/^\S+$/);
          expect(value?.trim().toLowerCase().startsWith("bearer")).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(AuthError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("parseAuthorizationHeader's shortcut for the canonical header", () => {
  // The general rule, as in the quickstart: trim, split on whitespace, "bearer" in any case, one token.
  const generalRule = (value: string) => {
    const parts = value.trim().split(/\s+/);
    if (value.trim() === "") return "authorization_header_missing";
    if (parts[0]?.toLowerCase() !== "bearer" || parts.length !== 2) return "invalid_header";
    return parts[1];
  };
  const result = (value: string) => {
    try {
      return parseAuthorizationHeader(value);
    } catch (error) {
      return (error as AuthError).code;
    }
  };

  it("answers every header as the general rule does", () => {
    const tokenChar = fc.constantFrom(..."ABCxyz019-._~+/= \t");
    const header = fc
      .tuple(
        fc.constantFrom("Bearer", "bearer", "BEARER", "Bearer\t", "Basic", "", " Bearer"),
        fc.constantFrom(" ", "  ", "\t", ""),
        fc.string({ unit: tokenChar, maxLength: 40 }),
      )
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(header, (value) => {
        expect(result(value)).toBe(generalRule(value));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("the verifier, for any token", () => {
  it("refuses random strings and random three-part tokens with an AuthError", async () => {
    const part = fc.string({ unit: fc.constantFrom(..."ABCabc012-_=.+/ ~"), maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.tuple(part, part, part).map((p) => p.join(".")),
        ),
        async (token) => {
          expect(await outcome(token)).not.toBe("accepted");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("accepts a mutated token only when it decodes to the very same signed bytes", async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: validToken.length - 1 }),
        fc.constantFrom(...alphabet),
        async (position, character) => {
          const mutated = validToken.slice(0, position) + character + validToken.slice(position + 1);
          if ((await outcome(mutated)) === "accepted") {
            // Base64url's unused trailing bits can change without changing the bytes; nothing else may.
            expect(decoded(mutated)).toEqual(decoded(validToken));
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("accepts exactly the tokens with a published key and valid claims", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claimsArbitrary = fc.record({
      aud: fc.constantFrom(issuer.audience, [issuer.audience, "other"], "other", ["other"], undefined),
      iss: fc.constantFrom(issuer.issuer, "https://evil.example/", undefined),
      exp: fc.constantFrom(now + 600, now - 600, undefined),
      nbf: fc.constantFrom(now - 60, now + 600, undefined),
      iat: fc.constantFrom(now - 60, now + 600, undefined),
    });
    await fc.assert(
      fc.asyncProperty(claimsArbitrary, fc.boolean(), async (claims, signedByIssuer) => {
        const token = await issuer.sign(
          claims,
          signedByIssuer ? {} : { key: stranger, kid: issuer.currentKey.kid },
        );
        const valid =
          signedByIssuer &&
          (claims.aud === issuer.audience ||
            (Array.isArray(claims.aud) && claims.aud.includes(issuer.audience))) &&
          claims.iss === issuer.issuer &&
          claims.exp === now + 600 &&
          claims.nbf !== now + 600 &&
          claims.iat !== now + 600;
        expect((await outcome(token)) === "accepted").toBe(valid);
      }),
      { numRuns: 200 },
    );
  });
});

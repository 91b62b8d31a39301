import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createDpopKey, type DpopKey, type ProofOptions } from "../testing/dpop-key";
import { startTestIssuer, type TestIssuer } from "../testing/test-issuer";
import { type AuthenticatedRequest, createRequestAuthenticator, type DpopMode } from "./dpop";
import { createDpopNonces } from "./dpop-nonce";
import { AuthError, UseDpopNonce } from "./errors";
import { createMemoryReplayStore, type ReplayStore } from "./replay-store";
import { type AccessTokenVerifier, createAccessTokenVerifier } from "./verifier";
import { wwwAuthenticateFor } from "./www-authenticate";

const PUBLIC_URL = "https://api.example.test";
const PATH = "/api/private";
const HTU = `${PUBLIC_URL}${PATH}`;

let issuer: TestIssuer;
let verifier: AccessTokenVerifier;
let key: DpopKey;
let otherKey: DpopKey;
let boundToken: string;
let bearerToken: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, fetchCooldownMs: 0 });
  [key, otherKey] = await Promise.all([createDpopKey("ES256"), createDpopKey("ES256")]);
  boundToken = await issuer.sign({ cnf: { jkt: key.thumbprint } });
  bearerToken = await issuer.sign();
});
afterAll(() => issuer.close());
afterEach(() => {
  vi.useRealTimers();
});

function authenticatorFor(mode: DpopMode = "allowed", replayStore: ReplayStore = createMemoryReplayStore()) {
  return createRequestAuthenticator(verifier, { dpop: { mode }, publicUrl: PUBLIC_URL, replayStore });
}

function dpopRequest(proof: string | string[] | undefined, token = boundToken): AuthenticatedRequest {
  return { method: "GET", url: PATH, headers: { authorization: `DPoP ${token}`, dpop: proof } };
}

const proofFor = (options: Partial<ProofOptions> = {}, signer = key) =>
  signer.proof({ htm: "GET", htu: HTU, accessToken: boundToken, ...options });

async function refusal(promise: Promise<unknown>): Promise<[number, string, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return [error.status, error.code, error.description];
    throw error;
  }
  throw new Error("request accepted");
}

const invalidProof = (description: string) => [401, "invalid_dpop_proof", description];

describe("createRequestAuthenticator with DPoP", () => {
  it("accepts a DPoP-bound token with a matching proof", async () => {
    const { claims } = await authenticatorFor().authenticate(dpopRequest(await proofFor()));
    expect(claims.cnf?.jkt).toBe(key.thumbprint);
  });

  it("builds htu from the public URL and the path only: a query string in the request is ignored", async () => {
    const request = { ...dpopRequest(await proofFor()), url: `${PATH}?page=2#top` };
    await expect(authenticatorFor().authenticate(request)).resolves.toBeTruthy();
  });

  it("refuses the same proof twice (replay), and checks the proof although the token is cached", async () => {
    const authenticator = authenticatorFor();
    const proof = await proofFor();
    await authenticator.authenticate(dpopRequest(proof));
    expect(await refusal(authenticator.authenticate(dpopRequest(proof)))).toEqual(
      invalidProof("The DPoP proof has already been used"),
    );
    // A fresh proof with the same (now cached) token is accepted; a bad one still refused.
    await authenticator.authenticate(dpopRequest(await proofFor()));
    expect((await refusal(authenticator.authenticate(dpopRequest(await proofFor({ htm: "POST" })))))[1]).toBe(
      "invalid_dpop_proof",
    );
  });

  it("does not record the jti of a refused proof", async () => {
    const authenticator = authenticatorFor();
    const jti = "reused-after-refusal";
    await refusal(authenticator.authenticate(dpopRequest(await proofFor({ jti, htm: "POST" }))));
    await expect(authenticator.authenticate(dpopRequest(await proofFor({ jti })))).resolves.toBeTruthy();
  });

  const now = () => Math.floor(Date.now() / 1000);
  it.each<[string, () => Promise<string>, string]>([
    ["wrong htm", () => proofFor({ htm: "POST" }), "The DPoP proof htm does not match the request method"],
    [
      "another path",
      () => proofFor({ htu: `${PUBLIC_URL}/api/public` }),
      "The DPoP proof htu does not match the request URL",
    ],
    [
      "another host",
      () => proofFor({ htu: `https://evil.example${PATH}` }),
      "The DPoP proof htu does not match the request URL",
    ],
    [
      "a query string in htu",
      () => proofFor({ htu: `${HTU}?a=1` }),
      "The DPoP proof htu does not match the request URL",
    ],
    [
      "a fragment in htu",
      () => proofFor({ htu: `${HTU}#x` }),
      "The DPoP proof htu does not match the request URL",
    ],
    ["iat too old", () => proofFor({ iat: now() - 61 }), "The DPoP proof iat is outside the accepted window"],
    ["iat too new", () => proofFor({ iat: now() + 61 }), "The DPoP proof iat is outside the accepted window"],
    [
      "another key's signature",
      () => proofFor({ signWith: otherKey }),
      "The DPoP proof signature does not verify with its jwk",
    ],
    [
      "a jwk with private members",
      () => proofFor({ jwk: key.privateJwk }),
      "The DPoP proof jwk must be a public key",
    ],
    [
      "alg none",
      () => proofFor({ alg: "none" }),
      "The DPoP proof alg must be one of ES256, EdDSA, Ed25519, PS256, RS256",
    ],
    [
      "alg HS256",
      () => proofFor({ alg: "HS256" }),
      "The DPoP proof alg must be one of ES256, EdDSA, Ed25519, PS256, RS256",
    ],
    ["typ jwt", () => proofFor({ typ: "JWT" }), 'The DPoP proof typ must be "dpop+jwt"'],
    [
      "no ath",
      () => key.proof({ htm: "GET", htu: HTU }),
      "The DPoP proof ath does not match the access token",
    ],
    [
      "a wrong ath",
      () => proofFor({ ath: "x".repeat(43) }),
      "The DPoP proof ath does not match the access token",
    ],
    [
      "a proof made for another token",
      () => proofFor({ accessToken: bearerToken }),
      "The DPoP proof ath does not match the access token",
    ],
    [
      "a proof by another key (cnf.jkt mismatch)",
      () => proofFor({}, otherKey),
      "The access token is bound to another key than the DPoP proof's",
    ],
    ["not a JWT", async () => "not-a-jwt", "The DPoP proof is not a JWT"],
  ])("refuses %s", async (_name, makeProof, description) => {
    expect(await refusal(authenticatorFor().authenticate(dpopRequest(await makeProof())))).toEqual(
      invalidProof(description),
    );
  });

  it("accepts iat within the window on both sides", async () => {
    const authenticator = authenticatorFor();
    await authenticator.authenticate(dpopRequest(await proofFor({ iat: now() - 55 })));
    await authenticator.authenticate(dpopRequest(await proofFor({ iat: now() + 55 })));
  });

  it("refuses the DPoP scheme with no proof, an empty one, or two", async () => {
    const proof = await proofFor();
    for (const [headers, description] of [
      [undefined, "The DPoP scheme needs a DPoP proof header"],
      ["", "The DPoP scheme needs a DPoP proof header"],
      [[proof, proof], "Exactly one DPoP proof header is expected"],
      [`${proof}, ${proof}`, "Exactly one DPoP proof header is expected"],
    ] as const) {
      expect(await refusal(authenticatorFor().authenticate(dpopRequest(headers as string)))).toEqual(
        invalidProof(description),
      );
    }
  });

  it("refuses an unbound token sent with the DPoP scheme", async () => {
    const proof = await proofFor({ accessToken: bearerToken });
    expect(await refusal(authenticatorFor().authenticate(dpopRequest(proof, bearerToken)))).toEqual(
      invalidProof("The access token is not bound to a DPoP key"),
    );
  });

  it("keeps the quickstart's codes for the token itself", async () => {
    const expired = await issuer.sign({ cnf: { jkt: key.thumbprint }, exp: now() - 60 });
    const proof = await key.proof({ htm: "GET", htu: HTU, accessToken: expired });
    expect(await refusal(authenticatorFor().authenticate(dpopRequest(proof, expired)))).toEqual([
      401,
      "token_expired",
      "token is expired",
    ]);
  });

  it("refuses a proof when the replay store cannot answer, as a 503", async () => {
    const broken: ReplayStore = {
      seen: () => Promise.reject(new Error("connection refused")),
      close: async () => {},
    };
    expect(
      await refusal(authenticatorFor("allowed", broken).authenticate(dpopRequest(await proofFor()))),
    ).toEqual([
      503,
      "dpop_replay_store_unavailable",
      "The DPoP replay store is unavailable; try again shortly",
    ]);
  });
});

describe("modes", () => {
  const bearer = (token: string): AuthenticatedRequest => ({
    method: "GET",
    url: PATH,
    headers: { authorization: `Bearer ${token}` },
  });

  it.each<DpopMode>(["allowed", "required", "disabled"])(
    "%s: refuses a DPoP-bound token sent as Bearer",
    async (mode) => {
      const [status, code] = await refusal(authenticatorFor(mode).authenticate(bearer(boundToken)));
      expect([status, code]).toEqual([401, mode === "required" ? "invalid_header" : "invalid_dpop_proof"]);
    },
  );

  it("allowed: accepts a plain Bearer token", async () => {
    await expect(authenticatorFor("allowed").authenticate(bearer(bearerToken))).resolves.toBeTruthy();
  });

  it("required: refuses Bearer (and any other scheme), accepts DPoP", async () => {
    expect(await refusal(authenticatorFor("required").authenticate(bearer(bearerToken)))).toEqual([
      401,
      "invalid_header",
      "Authorization header must use the DPoP scheme",
    ]);
    const basic = { method: "GET", url: PATH, headers: { authorization: "Basic dXNlcjpwYXNz" } };
    expect((await refusal(authenticatorFor("required").authenticate(basic)))[2]).toBe(
      "Authorization header must use the DPoP scheme",
    );
    await expect(
      authenticatorFor("required").authenticate(dpopRequest(await proofFor())),
    ).resolves.toBeTruthy();
  });

  it("disabled: the DPoP scheme is refused as the quickstart refuses any non-Bearer header", async () => {
    expect(await refusal(authenticatorFor("disabled").authenticate(dpopRequest(await proofFor())))).toEqual([
      401,
      "invalid_header",
      "Authorization header must start with Bearer",
    ]);
    await expect(authenticatorFor("disabled").authenticate(bearer(bearerToken))).resolves.toBeTruthy();
  });

  it("every mode keeps authorization_header_missing for no header", async () => {
    for (const mode of ["allowed", "required", "disabled"] as const) {
      const request = { method: "GET", url: PATH, headers: {} };
      expect((await refusal(authenticatorFor(mode).authenticate(request)))[1]).toBe(
        "authorization_header_missing",
      );
    }
  });
});

describe("server nonces", () => {
  it("asks for a nonce, then accepts a proof that carries it", async () => {
    const nonces = createDpopNonces({ periodSeconds: 60 });
    const authenticator = createRequestAuthenticator(verifier, {
      publicUrl: PUBLIC_URL,
      replayStore: createMemoryReplayStore(),
      nonces,
    });
    const error = await authenticator.authenticate(dpopRequest(await proofFor())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UseDpopNonce);
    const { nonce } = error as UseDpopNonce;
    expect(nonces.isValid(nonce)).toBe(true);
    expect(
      (await refusal(authenticator.authenticate(dpopRequest(await proofFor({ nonce: "made-up" })))))[1],
    ).toBe("use_dpop_nonce");
    await expect(authenticator.authenticate(dpopRequest(await proofFor({ nonce })))).resolves.toBeTruthy();
  });

  it("expires a nonce after two periods and refuses one made with another secret", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const nonces = createDpopNonces({ periodSeconds: 60, secret: "s".repeat(32) });
    const nonce = nonces.current();
    expect(createDpopNonces({ periodSeconds: 60, secret: "t".repeat(32) }).isValid(nonce)).toBe(false);
    expect(createDpopNonces({ periodSeconds: 60, secret: "s".repeat(32) }).isValid(nonce)).toBe(true);
    vi.setSystemTime(Date.now() + 60_000);
    expect(nonces.isValid(nonce)).toBe(true);
    vi.setSystemTime(Date.now() + 60_000);
    expect(nonces.isValid(nonce)).toBe(false);
  });
});

describe("wwwAuthenticateFor with DPoP", () => {
  const options = (mode: DpopMode) => ({
    dpop: { mode, algorithms: ["ES256", "PS256"] },
    resourceMetadata: "https://api.example.test/.well-known/oauth-protected-resource",
  });
  const metadata = 'resource_metadata="https://api.example.test/.well-known/oauth-protected-resource"';

  it("puts a proof error in the DPoP challenge, with Bearer too when both schemes are allowed", async () => {
    const error = (await authenticatorFor()
      .authenticate(dpopRequest(await proofFor({ htm: "PUT" })))
      .catch((e: unknown) => e)) as AuthError;
    const dpop = `DPoP error="invalid_dpop_proof", error_description="The DPoP proof htm does not match the request method", algs="ES256 PS256", ${metadata}`;
    expect(wwwAuthenticateFor(error, options("allowed"))).toEqual([dpop, `Bearer ${metadata}`]);
    expect(wwwAuthenticateFor(error, options("required"))).toEqual([dpop]);
  });

  it("keeps a token error in the Bearer challenge and offers DPoP next to it", async () => {
    const error = (await authenticatorFor()
      .authenticate({ method: "GET", url: PATH, headers: {} })
      .catch((e: unknown) => e)) as AuthError;
    expect(wwwAuthenticateFor(error, options("allowed"))).toEqual([
      `Bearer ${metadata}`,
      `DPoP algs="ES256 PS256", ${metadata}`,
    ]);
    expect(wwwAuthenticateFor(error, options("required"))).toEqual([`DPoP algs="ES256 PS256", ${metadata}`]);
    expect(wwwAuthenticateFor(error, options("disabled"))).toEqual([`Bearer ${metadata}`]);
  });
});

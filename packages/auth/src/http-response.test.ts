import { describe, expect, it } from "vitest";
import {
  AuthorizationHeaderMissing,
  DpopReplayStoreUnavailable,
  InsufficientScope,
  InvalidDpopProof,
  KeySetUnavailable,
  TokenExpired,
  UseDpopNonce,
} from "./errors";
import { authErrorResponse } from "./http-response";

const resourceMetadata = "https://api.example.com/.well-known/oauth-protected-resource";

describe("authErrorResponse", () => {
  it("answers a missing header with a bare challenge naming the metadata (RFC 6750 §3, RFC 9728 §5.1)", () => {
    expect(authErrorResponse(new AuthorizationHeaderMissing(), { resourceMetadata })).toEqual({
      status: 401,
      body: { code: "authorization_header_missing", description: "Authorization header is expected" },
      headers: { "www-authenticate": [`Bearer resource_metadata="${resourceMetadata}"`] },
    });
  });

  it("answers an invalid token with invalid_token and its description", () => {
    expect(authErrorResponse(new TokenExpired(), { resourceMetadata }).headers).toEqual({
      "www-authenticate": [
        `Bearer error="invalid_token", error_description="token is expired", resource_metadata="${resourceMetadata}"`,
      ],
    });
  });

  it("answers a missing scope with 403 insufficient_scope and the scopes required", () => {
    const response = authErrorResponse(new InsufficientScope(["read:messages", "write:messages"]));
    expect(response.status).toBe(403);
    expect(response.headers["www-authenticate"]).toEqual([
      'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="read:messages write:messages"',
    ]);
  });

  it("answers an unreachable issuer with 503 and Retry-After, and no challenge", () => {
    expect(authErrorResponse(new KeySetUnavailable(7), { resourceMetadata })).toEqual({
      status: 503,
      body: { code: "jwks_unavailable", description: expect.any(String) },
      headers: { "retry-after": "7" },
    });
  });

  it("keeps quoted values to RFC 6750's character set", () => {
    const [challenge] =
      authErrorResponse(new AuthorizationHeaderMissing(), {
        resourceMetadata: 'https://api.example.com/"x"\\é',
      }).headers["www-authenticate"] ?? [];
    expect(challenge).toBe('Bearer resource_metadata="https://api.example.com/x"');
  });

  const dpop = { mode: "allowed", algorithms: ["ES256", "EdDSA"] } as const;

  it("answers a bad DPoP proof with its error in the DPoP challenge, Bearer offered next to it", () => {
    expect(
      authErrorResponse(new InvalidDpopProof("htm", "The DPoP proof htm does not match"), {
        resourceMetadata,
        dpop,
      }),
    ).toEqual({
      status: 401,
      body: { code: "invalid_dpop_proof", description: "The DPoP proof htm does not match" },
      headers: {
        "www-authenticate": [
          `DPoP error="invalid_dpop_proof", error_description="The DPoP proof htm does not match", algs="ES256 EdDSA", resource_metadata="${resourceMetadata}"`,
          `Bearer resource_metadata="${resourceMetadata}"`,
        ],
      },
    });
  });

  it("hands out the next nonce with use_dpop_nonce (RFC 9449 §9)", () => {
    const { status, headers } = authErrorResponse(new UseDpopNonce("n-1"), {
      dpop: { ...dpop, mode: "required" },
    });
    expect(status).toBe(401);
    expect(headers).toEqual({
      "www-authenticate": [
        'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256 EdDSA"',
      ],
      "dpop-nonce": "n-1",
    });
  });

  it("answers an unreachable replay store with 503 and Retry-After, and no challenge", () => {
    expect(authErrorResponse(new DpopReplayStoreUnavailable(), { resourceMetadata, dpop })).toEqual({
      status: 503,
      body: { code: "dpop_replay_store_unavailable", description: expect.any(String) },
      headers: { "retry-after": "1" },
    });
  });
});

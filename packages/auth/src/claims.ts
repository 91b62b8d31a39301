import { z } from "zod";

/**
 * The claims of a verified access token. Signature, `iss`, `aud` and time claims are checked by the
 * verifier before this schema runs; the schema types the rest and refuses odd shapes (a numeric
 * `scope`, say) rather than letting them reach a scope check.
 */
export const accessTokenClaimsSchema = z.looseObject({
  iss: z.string(),
  sub: z.string().optional(),
  /** Absent only where the verifier accepts that (`clientIds`, for Cognito's access tokens). */
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  exp: z.number(),
  iat: z.number().optional(),
  nbf: z.number().optional(),
  jti: z.string().optional(),
  client_id: z.string().optional(),
  /** Cognito's: `access` or `id`; an ID token is never accepted. */
  token_use: z.string().optional(),
  scope: z.string().optional(),
  permissions: z.array(z.string()).optional(),
  /** RFC 9449 §6.1: a DPoP-bound token names its key's RFC 7638 thumbprint. */
  cnf: z.looseObject({ jkt: z.string().min(1).optional() }).optional(),
});

export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

/** RFC 9068 §2.2: the claims a JWT access token must carry, checked in the strict profile. */
export const RFC9068_REQUIRED_CLAIMS = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] as const;

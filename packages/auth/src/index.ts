export { MAX_AUTHORIZATION_HEADER_LENGTH, parseAuthorizationHeader } from "./authorization-header";
export { type AccessTokenClaims, accessTokenClaimsSchema } from "./claims";
export {
  ALLOWED_ALGORITHMS,
  type AuthEnv,
  authEnvSchema,
  issuerUrlSchema,
  requireIssuerVariable,
  type SigningAlgorithm,
  type VerifierConfig,
  verifierConfigFromEnv,
  verifierConfigSchema,
} from "./config";
export * from "./errors";
export type { AuthLogger } from "./key-set";
export {
  assertScopes,
  type GrantedScopes,
  hasAnyScope,
  hasScopes,
  readScopes,
  type ScopedClaims,
} from "./scopes";
export {
  type AccessTokenVerifier,
  createAccessTokenVerifier,
  toAuthError,
  type VerifiedAccessToken,
} from "./verifier";
export { wwwAuthenticateFor } from "./www-authenticate";

export { parseAuthorizationHeader } from "./authorization-header";
export type { AccessTokenClaims } from "./claims";
export {
  type AuthEnv,
  authEnvSchema,
  requireIssuerVariable,
  type SigningAlgorithm,
  type VerifierConfig,
  verifierConfigFromEnv,
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

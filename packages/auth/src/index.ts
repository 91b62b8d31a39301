export { parseAuthorizationHeader } from "./authorization-header";
export type { AccessTokenClaims } from "./claims";
export {
  ALLOWED_ALGORITHMS,
  issuerUrlSchema,
  type SigningAlgorithm,
  type VerifierConfig,
  verifierConfigSchema,
} from "./config";
export * from "./errors";
export { type AuthErrorResponse, authErrorResponse } from "./http-response";
export {
  CaFileInvalid,
  createIssuerDispatcher,
  describeFetchFailure,
  type FetchFailure,
  readCaFile,
} from "./issuer-tls";
export type { AuthLogger, KeysStatus } from "./key-set";
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
export { type ChallengeOptions, wwwAuthenticateFor } from "./www-authenticate";

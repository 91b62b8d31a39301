export type {
  AuthObserver,
  DpopProofOutcome,
  KeyFetchOutcome,
  ObservedKeySet,
} from "./auth-observer";
export { parseAuthorizationHeader } from "./authorization-header";
export type { AccessTokenClaims } from "./claims";
export {
  ALLOWED_ALGORITHMS,
  issuerUrlSchema,
  type SigningAlgorithm,
  type VerifierConfig,
  verifierConfigSchema,
} from "./config";
export {
  type AuthenticatedRequest,
  createRequestAuthenticator,
  DEFAULT_DPOP_ALGORITHMS,
  DPOP_MODES,
  type DpopConfig,
  type DpopMode,
  type RequestAuthenticator,
} from "./dpop";
export { createDpopNonces, type DpopNonces } from "./dpop-nonce";
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
export { createRedisReplayStore, type RedisReplayStoreOptions } from "./redis-replay-store";
export { createMemoryReplayStore, type MemoryReplayStoreOptions, type ReplayStore } from "./replay-store";
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
export type { ChallengeOptions } from "./www-authenticate";

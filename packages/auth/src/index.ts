export {
  type AudienceClaims,
  type AudiencePolicy,
  checkAudience,
  checkTokenUse,
  MISSING_AUDIENCE_HINT,
} from "./audience";
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
  type IntrospectionConfig,
  introspectionConfigSchema,
  isIssuerTemplate,
  isLoopback,
  issuerUrlSchema,
  type SigningAlgorithm,
  TENANT_PLACEHOLDER,
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
export { createProofKeyCache, type ProofKey, type ProofKeyCache } from "./dpop-proof-key";
export * from "./errors";
export { type AuthErrorResponse, authErrorResponse } from "./http-response";
export {
  combineKeysStatus,
  createIssuerRegistry,
  type IssuerClaims,
  type IssuerRegistry,
  type IssuerRegistryOptions,
} from "./issuer-registry";
export {
  CaFileInvalid,
  createIssuerDispatcher,
  describeFetchFailure,
  type FetchFailure,
  readCaFile,
} from "./issuer-tls";
export { type AuthLogger, type KeysStatus, toFetchUrl } from "./key-set";
export {
  AUTH_PROFILE_NAMES,
  AUTH_PROFILES,
  type AuthProfile,
  type AuthProfileName,
  applyProfile,
  DEFAULT_SCOPE_CLAIMS,
  type ProfileSettings,
} from "./profiles";
export { createRedisReplayStore, type RedisReplayStoreOptions } from "./redis-replay-store";
export {
  createMemoryReplayStore,
  type MemoryReplayStoreOptions,
  ReplayShareExceeded,
  type ReplayStore,
} from "./replay-store";
export {
  assertScopes,
  type GrantedScopes,
  hasAnyScope,
  hasScopes,
  readScopeClaims,
  readScopes,
  type ScopedClaims,
  type ScopePolicy,
} from "./scopes";
export {
  type AccessTokenVerifier,
  createAccessTokenVerifier,
  toAuthError,
  type VerifiedAccessToken,
} from "./verifier";
export type { ChallengeOptions } from "./www-authenticate";

/**
 * Who a token is for: its `aud` against the API's identifiers, or (for issuers that leave `aud`
 * out of access tokens, like Cognito) its `client_id` against the configured clients. Pure
 * functions of the claims, so a JWT's verified payload and an introspection answer are checked alike.
 */
import { TokenClaimsInvalid } from "./errors";
import { quote } from "./key-set";

/** What the audience checks accept. */
export interface AudiencePolicy {
  /** The API's identifiers (`API_AUDIENCE`): an `aud` must be or contain one of them. */
  audiences: readonly string[];
  /** `AUTH_CLIENT_IDS`: with any, a token without `aud` is accepted from these clients' access tokens. */
  clientIds: readonly string[];
  /** Where the provider puts the API's identifier, appended to refusals (see profiles.ts). */
  hint?: string | undefined;
}

/** Said whenever a token has no `aud`: the two usual reasons. */
export const MISSING_AUDIENCE_HINT =
  "no aud: set AUTH_CLIENT_IDS for Cognito, or add an audience mapper in Keycloak";

/** The claims these checks read. */
export interface AudienceClaims {
  aud?: unknown;
  client_id?: unknown;
  token_use?: unknown;
}

/** `audiences` as a refusal names them: one in quotes, several as a list. */
function describeAudiences(audiences: readonly string[]): string {
  return quote(audiences.length === 1 ? audiences[0] : audiences);
}

/** What to append to an audience refusal's detail for the `aud` a token has. */
export function audienceHintFor(aud: unknown, hint = ""): string {
  if (aud === undefined) return `; ${MISSING_AUDIENCE_HINT}`;
  return hint ? `; ${hint}` : "";
}

/**
 * Throws {@link TokenClaimsInvalid} unless the token is for this API: an `aud` naming one of the
 * audiences, or, when there is no `aud` and client IDs are configured, a `client_id` among them on
 * a token whose `token_use` is `access`.
 *
 * @example
 * checkAudience(payload, { audiences: ["https://api"], clientIds: [] });
 */
export function checkAudience(claims: AudienceClaims, policy: AudiencePolicy): void {
  const { aud } = claims;
  if (aud === undefined) {
    if (policy.clientIds.length === 0) {
      throw new TokenClaimsInvalid({
        detail: `aud expected ${describeAudiences(policy.audiences)}, got none${audienceHintFor(aud)}`,
      });
    }
    if (typeof claims.client_id !== "string" || !policy.clientIds.includes(claims.client_id)) {
      throw new TokenClaimsInvalid({
        detail: `no aud, and client_id ${quote(claims.client_id)} is not among AUTH_CLIENT_IDS ${quote(policy.clientIds)}`,
      });
    }
    if (claims.token_use !== "access") {
      throw new TokenClaimsInvalid({
        detail: `no aud, and token_use expected "access", got ${quote(claims.token_use)}`,
      });
    }
    return;
  }
  const values = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!values.some((value) => policy.audiences.includes(value))) {
    throw new TokenClaimsInvalid({
      detail: `aud expected ${describeAudiences(policy.audiences)}, got ${quote(aud)}${audienceHintFor(aud, policy.hint)}`,
    });
  }
}

/**
 * Throws {@link TokenClaimsInvalid} when the token says it is not an access token: a `token_use`
 * (Cognito's) other than `access`, such as an ID token's `id`. Tokens without it pass.
 */
export function checkTokenUse(claims: AudienceClaims): void {
  if (claims.token_use !== undefined && claims.token_use !== "access") {
    throw new TokenClaimsInvalid({
      detail: `token_use expected "access", got ${quote(claims.token_use)}: not an access token`,
    });
  }
}

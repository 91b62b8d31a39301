/**
 * Identity-provider presets (`AUTH_PROFILE`), as data: each only sets defaults for the options
 * below, an explicit option always wins, and no profile means the quickstart's own defaults.
 */

/** What a profile may preset. */
export interface AuthProfile {
  /** The claims scopes are read from, in order. */
  scopeClaims: readonly string[];
  /** Said in the log of every audience refusal: where this provider puts the API's identifier. */
  audienceHint: string;
}

/** The scope claims without a profile: RFC 9068's `scope` and Auth0's `permissions`. */
export const DEFAULT_SCOPE_CLAIMS: readonly string[] = ["scope", "permissions"];

/** One row per identity provider whose access tokens need more than the defaults. */
export const AUTH_PROFILES = {
  auth0: {
    scopeClaims: ["scope", "permissions"],
    audienceHint: "Auth0 puts the API's Identifier (APIs > your API > Settings) in aud",
  },
  entra: {
    scopeClaims: ["scp", "roles"],
    audienceHint:
      "Entra ID puts the API's application (client) ID in aud of v2 tokens and its Application ID URI (api://...) in v1 tokens: list the one your tokens carry in API_AUDIENCE",
  },
  okta: {
    scopeClaims: ["scp"],
    audienceHint: "Okta puts the custom authorization server's Audience (Security > API) in aud",
  },
  cognito: {
    scopeClaims: ["scope"],
    audienceHint:
      "Cognito access tokens have no aud: list the app client IDs in AUTH_CLIENT_IDS; an aud is found only in ID tokens",
  },
  keycloak: {
    scopeClaims: ["scope"],
    audienceHint:
      'Keycloak puts only "account" (or nothing) in aud until a client scope of the client has an Audience mapper naming the API',
  },
} as const satisfies Record<string, AuthProfile>;

export type AuthProfileName = keyof typeof AUTH_PROFILES;

export const AUTH_PROFILE_NAMES = Object.keys(AUTH_PROFILES) as [AuthProfileName, ...AuthProfileName[]];

/** The options a profile presets, as given (undefined when unset). */
export interface ProfileOptions {
  profile?: AuthProfileName | undefined;
  scopeClaims?: readonly string[] | undefined;
}

/** Those options with the profile's defaults filled in, then the quickstart's. */
export interface ProfileSettings {
  scopeClaims: readonly string[];
  /** Empty without a profile. */
  audienceHint: string;
}

/**
 * The settings in effect: each explicit option, else the profile's preset, else the default.
 *
 * @example
 * applyProfile({ profile: "entra" }).scopeClaims; // ["scp", "roles"]
 * applyProfile({ profile: "entra", scopeClaims: ["scp"] }).scopeClaims; // ["scp"]
 */
export function applyProfile(options: ProfileOptions): ProfileSettings {
  const preset: Partial<AuthProfile> = options.profile ? AUTH_PROFILES[options.profile] : {};
  return {
    scopeClaims: options.scopeClaims ?? preset.scopeClaims ?? DEFAULT_SCOPE_CLAIMS,
    audienceHint: preset.audienceHint ?? "",
  };
}

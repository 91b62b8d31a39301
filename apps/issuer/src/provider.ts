import Provider, { type Configuration, errors, type KoaContextWithOIDC } from "oidc-provider";
import type { ClientCredentials, IssuerSecrets } from "./data-dir";
import { findDemoUser } from "./demo-users";
import { loopbackClientsOnly, OPEN_REGISTRATION } from "./dynamic-registration";
import type { AccessTokenFormat } from "./env";
import { pageSecurityHeaders, renderLogoutPage, renderMessagePage } from "./login-page";

/** The SPA's public client (authorization code + PKCE, no secret). */
export const WEB_CLIENT_ID = "quickstart-spa";

/** Scopes the API understands; a token's `scope` is always a subset. */
export const API_SCOPES = ["read:messages"] as const;

/** OpenID Connect scopes, granted to every signed-in user who is asked for them. */
const OIDC_SCOPES = ["openid", "profile", "offline_access"] as const;

/**
 * Algorithms a client may sign DPoP proofs with; the same as the API's default allowlist
 * (`DEFAULT_DPOP_ALGORITHMS` in packages/auth, which test/dpop.test.ts compares with discovery), so
 * any key the issuer binds a token to, the API accepts.
 */
const DPOP_ALGORITHMS = ["ES256", "EdDSA", "Ed25519", "PS256", "RS256"] as const;

/** Auth0-like endpoint paths, so URLs in the quickstart read the same. */
export const ROUTES = {
  authorization: "/authorize",
  token: "/oauth/token",
  jwks: "/.well-known/jwks.json",
  userinfo: "/userinfo",
  end_session: "/oidc/logout",
  revocation: "/oauth/revoke",
  introspection: "/oauth/introspect",
  registration: "/oidc/register",
} as const;

const HOUR = 60 * 60;
const DAY = 24 * HOUR;

/** What {@link createProvider} needs. */
export interface ProviderOptions {
  /** Issuer identifier, with a trailing slash: `http://localhost:3020/`. */
  issuer: string;
  /**
   * The API's identifiers: the only valid `audience`/`resource` values, each the `aud` of the
   * tokens asked for it; the first is the default. One API may have several names (its MCP URL).
   */
  audiences: readonly string[];
  /** Origins of the web app: its redirect URIs are `<origin>/`, and it may call the token endpoint. */
  webOrigins: readonly string[];
  /**
   * Origins of the API's interactive docs (`/docs`): the machine client may call the token endpoint
   * from them, for the docs' client-credentials flow.
   */
  apiOrigins: readonly string[];
  secrets: IssuerSecrets;
  /**
   * `jwt` (default): RS256 JWT access tokens. `opaque`: opaque access tokens, and the RFC 7662
   * introspection endpoint for `introspectionClient`, the API's client, to check them.
   */
  accessTokenFormat?: AccessTokenFormat;
  /** The only client allowed to introspect; required with `accessTokenFormat: "opaque"`. */
  introspectionClient?: ClientCredentials | undefined;
}

/**
 * Configures oidc-provider as a small Auth0-like development issuer: RS256 JWT (or opaque) access
 * tokens for one API, a demo machine client (client credentials) and the SPA's public client
 * (code + PKCE).
 */
export function createProvider({
  issuer,
  audiences,
  webOrigins,
  apiOrigins,
  secrets,
  accessTokenFormat = "jwt",
  introspectionClient,
}: ProviderOptions): Provider {
  const opaque = accessTokenFormat === "opaque";
  if (opaque && !introspectionClient) throw new Error("opaque access tokens need an introspection client");
  const appUris = webOrigins.map((origin) => `${origin}/`);
  // The logout form ends up at the web app; the other pages have no form.
  const logoutPageHeaders = pageSecurityHeaders(webOrigins);
  const pageHeaders = pageSecurityHeaders([]);

  const configuration: Configuration = {
    clients: [
      {
        client_id: WEB_CLIENT_ID,
        client_name: "Quickstart web app",
        application_type: "web",
        // A public client: oidc-provider requires PKCE (S256) from it by default.
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        redirect_uris: appUris,
        post_logout_redirect_uris: appUris,
      },
      {
        client_id: secrets.machineClient.clientId,
        client_secret: secrets.machineClient.clientSecret,
        client_name: "Quickstart machine client",
        // client_secret_basic is accepted as well: oidc-provider treats the two alike.
        token_endpoint_auth_method: "client_secret_post",
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
      },
      // The API, as a client that may only introspect (RFC 7662 §2.1: HTTP Basic by default).
      ...(opaque && introspectionClient
        ? [
            {
              client_id: introspectionClient.clientId,
              client_secret: introspectionClient.clientSecret,
              client_name: "Quickstart API (token introspection)",
              token_endpoint_auth_method: "client_secret_basic" as const,
              grant_types: [],
              response_types: [],
              redirect_uris: [],
            },
          ]
        : []),
    ],
    jwks: secrets.signingKeys,
    enabledJWA: { dPoPSigningAlgValues: [...DPOP_ALGORITHMS] },
    // oidc-provider's cookies are HttpOnly and SameSite=Lax by default, and signed once there are keys.
    cookies: { keys: secrets.cookieKeys },
    routes: ROUTES,
    scopes: [...OIDC_SCOPES],
    claims: { openid: ["sub"], profile: ["name", "preferred_username"] },
    async findAccount(_ctx, sub) {
      const user = findDemoUser(sub);
      if (!user) return undefined;
      return {
        accountId: user.username,
        claims: () => ({ sub: user.username, name: user.name, preferred_username: user.username }),
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The SPA renews with rotating refresh tokens (no third-party-cookie iframe); without
    // offline_access they end with the sign-in session.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    // Browsers may call the token endpoint only as a public client from the origin of one of its
    // redirect URIs (the SPA from its origins, a registered app from its loopback page), or as the
    // machine client from the API's docs page (whose user typed the secret in); any other pair is refused.
    clientBasedCORS: (_ctx, origin, client) =>
      client.clientAuthMethod === "none"
        ? (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin)
        : client.clientId === secrets.machineClient.clientId && apiOrigins.includes(origin),
    extraClientMetadata: loopbackClientsOnly([...OIDC_SCOPES, ...API_SCOPES]),
    ttl: {
      AccessToken: HOUR,
      ClientCredentials: HOUR,
      IdToken: HOUR,
      AuthorizationCode: 60,
      Interaction: 10 * 60,
      Session: DAY,
      Grant: DAY,
      // A rotated refresh token keeps its predecessor's expiry, so rotation cannot extend a login forever.
      RefreshToken: (ctx) => ctx?.oidc?.entities.RotatedRefreshToken?.remainingTTL ?? DAY,
    },
    features: {
      // Our own login page checks passwords; the built-in one accepts anything.
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 7591, for MCP clients; loopback apps only (see dynamic-registration.ts).
      registration: OPEN_REGISTRATION,
      // RFC 9449: a token request with a DPoP proof gets a token bound to the proof's key (cnf.jkt,
      // token_type DPoP), for every grant; one without a proof still gets a Bearer token.
      dPoP: { enabled: true },
      // Only the API's client may ask about tokens; any other caller is told `active: false`.
      introspection: {
        enabled: opaque,
        allowedPolicy: async (_ctx, client) => client.clientId === introspectionClient?.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      resourceIndicators: {
        enabled: true,
        // No audience/resource (or an `openid` request) still gets an access token for the API.
        defaultResource: async () => audiences[0] as string,
        useGrantedResource: async () => true,
        async getResourceServerInfo(_ctx, resourceIndicator) {
          if (!audiences.includes(resourceIndicator)) throw new errors.InvalidTarget();
          return {
            scope: API_SCOPES.join(" "),
            audience: resourceIndicator,
            ...(opaque
              ? { accessTokenFormat: "opaque" as const }
              : { accessTokenFormat: "jwt" as const, jwt: { sign: { alg: "RS256" as const } } }),
          };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          sendPage(ctx, logoutPageHeaders, renderLogoutPage(form, ctx.host));
        },
        async postLogoutSuccessSource(ctx) {
          sendPage(
            ctx,
            pageHeaders,
            renderMessagePage("Signed out", "You have been signed out. You can close this page."),
          );
        },
      },
    },
    async renderError(ctx, out) {
      sendPage(
        ctx,
        pageHeaders,
        renderMessagePage("Sign-in failed", "Go back to the application and try again.", {
          error: out.error,
          error_description: out.error_description,
        }),
      );
    },
  };

  return withoutMemoryAdapterWarning(() => new Provider(issuer, configuration));
}

/**
 * oidc-provider prints "you MUST change it" on every construction without an `adapter`: its
 * in-memory store is what a development issuer wants, and start-issuer.ts says what it means for the
 * demo in one line of ours. Other warnings still reach the console.
 */
function withoutMemoryAdapterWarning<T>(construct: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes("in-memory adapter is used")) warn(...args);
  };
  try {
    return construct();
  } finally {
    console.warn = warn;
  }
}

function sendPage(ctx: KoaContextWithOIDC, headers: Record<string, string>, html: string) {
  ctx.set(headers);
  ctx.type = "html";
  ctx.body = html;
}

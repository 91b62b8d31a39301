import { isLoopback } from "@quickstart/auth";
import type { Middleware } from "koa";
import { type Configuration, errors } from "oidc-provider";

type ClientMetadataHook = NonNullable<Configuration["extraClientMetadata"]>;

/**
 * Metadata a registering client may choose, and the ids oidc-provider assigned (over any the
 * request named); the rest of its request is set here or dropped.
 */
const KEPT = new Set([
  "client_id",
  "client_id_issued_at",
  "client_name",
  "client_uri",
  "logo_uri",
  "policy_uri",
  "tos_uri",
  "contacts",
  "software_id",
  "software_version",
  "redirect_uris",
  "post_logout_redirect_uris",
]);

/** What every registered client is: a public native app using the code flow with PKCE (RFC 8252). */
const REGISTERED_CLIENT = {
  application_type: "native",
  token_endpoint_auth_method: "none",
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
} as const;

/** Whether `uri` is an `http` URI (or origin) on a loopback host, any port: a local app's. */
function isLoopbackUri(uri: unknown): boolean {
  const url = typeof uri === "string" ? URL.parse(uri) : null;
  return url?.protocol === "http:" && isLoopback(url.hostname);
}

/**
 * oidc-provider's `features.registration` for the development issuer: open dynamic client
 * registration (RFC 7591), so MCP clients such as MCP Inspector, Claude Code or VS Code register
 * themselves. What they may register is shaped by {@link loopbackClientsOnly}.
 */
export const OPEN_REGISTRATION = {
  enabled: true,
  initialAccessToken: false,
  // No registration management (RFC 7592), so a registration access token would serve nothing.
  issueRegistrationAccessToken: false,
} as const;

/**
 * The `extraClientMetadata` hook that shapes every dynamic registration (static clients are built
 * without a request and are left alone). A registered client is a public native app (no secret;
 * authorization code with PKCE, and refresh tokens) whose redirect URIs are loopback ones only:
 * other redirect URIs are dropped, and a registration with no loopback one is refused with
 * `invalid_redirect_uri`. Being native, it may come back on any port of a registered loopback URI
 * (RFC 8252 §7.3). It may send any of `supportedScopes` as its `scope` (MCP clients send the API's
 * `scopes_supported`) and an unknown one is refused; the scope is then not kept as a limit, because
 * what a client gets is decided at sign-in by the user's permissions, as for the web app.
 */
export function loopbackClientsOnly(supportedScopes: readonly string[]): ClientMetadataHook {
  const supported = new Set(supportedScopes);
  return {
    properties: ["redirect_uris"],
    validator(ctx, _key, _value, metadata) {
      if (!ctx) return;
      const requested = metadata as Record<string, unknown>;
      const unknownScope = String(requested.scope ?? "")
        .split(" ")
        .find((scope) => scope && !supported.has(scope));
      if (unknownScope) {
        throw new errors.InvalidClientMetadata(
          `scope "${unknownScope}" is not supported; use any of: ${supportedScopes.join(" ")}`,
        );
      }
      const redirectUris = arrayOf(requested.redirect_uris).filter(isLoopbackUri);
      if (!redirectUris.length) {
        throw Object.assign(new errors.InvalidRedirectUri(), {
          error_description:
            "this development issuer registers only loopback redirect_uris, such as http://127.0.0.1:<port>/callback or http://localhost:<port>/callback",
        });
      }
      for (const name of Object.keys(ctx.oidc.body ?? {})) if (!KEPT.has(name)) delete requested[name];
      // oidc-provider generated one if the request named a secret-based authentication method.
      delete requested.client_secret;
      delete requested.client_secret_expires_at;
      Object.assign(requested, structuredClone(REGISTERED_CLIENT), {
        redirect_uris: redirectUris,
        post_logout_redirect_uris: arrayOf(requested.post_logout_redirect_uris).filter(isLoopbackUri),
      });
    },
  };
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Koa middleware answering CORS for the registration endpoint, which oidc-provider does not: a
 * page on a loopback origin (MCP Inspector's, say) may register from the browser. Other origins
 * get no CORS headers, so browsers keep them out.
 */
export function loopbackRegistrationCors(registrationPath: string): Middleware {
  return async (ctx, next) => {
    const origin = ctx.get("origin");
    if (ctx.path !== registrationPath) return next();
    ctx.vary("Origin");
    if (!isLoopbackUri(origin)) return next();
    ctx.set("Access-Control-Allow-Origin", origin);
    if (ctx.method !== "OPTIONS") return next();
    ctx.set("Access-Control-Allow-Methods", "POST");
    ctx.set("Access-Control-Allow-Headers", "Content-Type");
    ctx.set("Access-Control-Max-Age", "600");
    ctx.status = 204;
    return undefined;
  };
}

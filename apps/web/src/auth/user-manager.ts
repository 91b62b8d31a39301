import { UserManager, WebStorageStateStore } from "oidc-client-ts";
import type { WebConfig } from "../env";
import { dpopSettings } from "./dpop";

/** `offline_access` asks for a refresh token, so an expired access token renews without an iframe. */
export const REQUESTED_SCOPES = "openid profile read:messages offline_access";

/**
 * The OpenID client: authorization code + PKCE (oidc-client-ts's only flow), public client, the
 * redirect and post-logout URIs both the app's root.
 */
export function createUserManager(config: WebConfig, origin: string = window.location.origin): UserManager {
  const store = new WebStorageStateStore({ store: window.sessionStorage });
  return new UserManager({
    authority: config.issuer,
    client_id: config.clientId,
    redirect_uri: `${origin}/`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: "code",
    scope: REQUESTED_SCOPES,
    // Auth0-style: the API the access token is for (the issuer maps it to RFC 8707 `resource`).
    extraQueryParams: { audience: config.audience },
    // Tokens and the PKCE verifier live in this tab's sessionStorage, never in localStorage.
    userStore: store,
    stateStore: store,
    // Renewal is done by auth-provider.tsx with the refresh token; the built-in renewal would
    // fall back to a hidden iframe, which the CSP (frame-src 'none') forbids.
    automaticSilentRenew: false,
    monitorSession: false,
    // DPoP-bound tokens, unless turned off in the session panel (see dpop.ts).
    dpop: dpopSettings(),
  });
}

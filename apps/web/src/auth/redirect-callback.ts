/** What the issuer sent the browser back to the app's root with. */
export type RedirectKind = "signin-callback" | "signout-callback" | "none";

/**
 * The redirect URI and the post-logout URI are both `<origin>/`, so the query tells them apart:
 * a sign-in answer has `code` (or `error`) and `state`; a sign-out answer only `state`.
 */
export function classifyRedirect(search: string): RedirectKind {
  const params = new URLSearchParams(search);
  if (!params.has("state")) return "none";
  return params.has("code") || params.has("error") ? "signin-callback" : "signout-callback";
}

/** The URL without the OAuth parameters, for history.replaceState (keeps other query params). */
export function urlWithoutOAuthParams(href: string): string {
  const url = new URL(href);
  for (const name of ["code", "state", "error", "error_description", "error_uri", "iss", "session_state"]) {
    url.searchParams.delete(name);
  }
  return `${url.pathname}${url.search}${url.hash}`;
}

import { IndexedDbDPoPStore, type User, type UserManager, type UserManagerSettings } from "oidc-client-ts";

type DPoPSettings = NonNullable<UserManagerSettings["dpop"]>;

/**
 * DPoP (RFC 9449) in the browser: oidc-client-ts makes a non-extractable P-256 key, keeps it in
 * IndexedDB (so script can use it but never read it out), and proves possession at the token
 * endpoint; the issuer then binds the tokens to it. Every API call here sends a fresh proof.
 */

/** localStorage holds only this switch (no token): "off" turns DPoP off from the next login. */
const SETTING_KEY = "quickstart.dpop";

export function isDpopEnabled(): boolean {
  return window.localStorage.getItem(SETTING_KEY) !== "off";
}

export function setDpopEnabled(enabled: boolean): void {
  if (enabled) window.localStorage.removeItem(SETTING_KEY);
  else window.localStorage.setItem(SETTING_KEY, "off");
}

/** The `dpop` setting of the UserManager, or undefined when DPoP is turned off. */
export function dpopSettings(): DPoPSettings | undefined {
  return isDpopEnabled() ? { store: new IndexedDbDPoPStore() } : undefined;
}

/** What the session panel shows: how the token is sent and, for DPoP, the key's thumbprint. */
export interface TokenBinding {
  type: "DPoP" | "Bearer";
  /** RFC 7638 thumbprint of the key, as the token's `cnf.jkt` names it. */
  thumbprint?: string;
}

/** How the calls send the access token, for the calls panel: what `createApiFetch` actually does. */
export function describeTokenSending(binding: TokenBinding | undefined): string {
  switch (binding?.type) {
    case "DPoP":
      return "with the access token as a DPoP-bound token (Authorization: DPoP, and a fresh DPoP proof per call)";
    case "Bearer":
      return "with the access token as a bearer token (Authorization: Bearer)";
    case undefined:
      return "without an access token until you log in";
  }
}

export async function readTokenBinding(userManager: UserManager, user: User): Promise<TokenBinding> {
  const dpop = userManager.settings.dpop;
  if (user.token_type.toLowerCase() !== "dpop" || dpop === undefined) return { type: "Bearer" };
  return { type: "DPoP", thumbprint: await userManager.generateDPoPJkt(dpop) };
}

/**
 * A `fetch` for the API, shared by the REST calls and the tRPC link: it reads the current user
 * per request and sends `Authorization: DPoP <token>` with a proof for this method and URL (or
 * `Bearer <token>`, or nothing when signed out). When the API asks for a nonce it retries once.
 */
export function createApiFetch(userManager: UserManager): typeof fetch {
  const nonces = new Map<string, string>();
  return async (input, init) => {
    const request = new Request(input, init);
    const user = await userManager.getUser();
    if (!user?.access_token) return fetch(request);

    const dpop = user.token_type.toLowerCase() === "dpop";
    const origin = new URL(request.url).origin;
    const send = async () => {
      const headers = new Headers(request.headers);
      if (dpop) {
        headers.set("Authorization", `DPoP ${user.access_token}`);
        const proof = await userManager.dpopProof(
          htuOf(request.url),
          user,
          request.method,
          nonces.get(origin),
        );
        if (proof === undefined) throw new Error("DPoP key not found: log in again");
        headers.set("DPoP", proof);
      } else {
        headers.set("Authorization", `Bearer ${user.access_token}`);
      }
      return fetch(request.clone(), { headers });
    };

    const response = await send();
    const nonce = response.headers.get("DPoP-Nonce");
    if (!dpop || nonce === null) return response;
    nonces.set(origin, nonce);
    const asksForNonce = /error="use_dpop_nonce"/.test(response.headers.get("WWW-Authenticate") ?? "");
    return asksForNonce ? send() : response;
  };
}

/** RFC 9449 §4.2: the proof names the URL without its query and fragment. */
function htuOf(url: string): string {
  const htu = new URL(url);
  htu.search = "";
  htu.hash = "";
  return htu.href;
}

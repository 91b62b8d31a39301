// DPoP (RFC 9449) from Node with the `dpop` package: a key that never leaves this process, a proof
// for every request, and one retry when the server asks for a nonce (§8, §9).
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from "dpop";

export type DpopKeyPair = KeyPair;

/** A fresh non-extractable ES256 key pair: tokens bound to it are useless to anyone else. */
export function createDpopKeyPair(): Promise<DpopKeyPair> {
  return generateKeyPair("ES256");
}

/** The key's RFC 7638 thumbprint, which the issuer puts in the token's `cnf.jkt`. */
export function dpopThumbprint(keyPair: DpopKeyPair): Promise<string> {
  return calculateThumbprint(keyPair.publicKey);
}

/** A proof for one request: `htu` is the URL without query or fragment; `accessToken` sets `ath`. */
export function dpopProof(
  keyPair: DpopKeyPair,
  method: string,
  url: string | URL,
  options: { accessToken?: string; nonce?: string } = {},
): Promise<string> {
  const htu = new URL(url);
  htu.search = "";
  htu.hash = "";
  return generateProof(keyPair, htu.href, method, options.nonce, options.accessToken);
}

/**
 * A `fetch` that sends a DPoP proof with every request (and `Authorization: DPoP <token>` when
 * given a token), retrying once with the server's `DPoP-Nonce` when it answers `use_dpop_nonce`.
 * Pass it as the tRPC link's `fetch`. Takes a URL and init (as tRPC and the token request call it);
 * the init, `dispatcher` included, goes to `fetch` unchanged but for the two headers.
 */
export function createDpopFetch(keyPair: DpopKeyPair, accessToken?: string): typeof fetch {
  let nonce: string | undefined;
  return async (input, init = {}) => {
    if (input instanceof Request) throw new TypeError("createDpopFetch takes a URL and init, not a Request");
    const method = init.method ?? "GET";
    const send = async () => {
      const headers = new Headers(init.headers);
      headers.set("dpop", await dpopProof(keyPair, method, input, { accessToken, nonce }));
      if (accessToken !== undefined) headers.set("authorization", `DPoP ${accessToken}`);
      return fetch(input, { ...init, headers });
    };
    const response = await send();
    const offered = response.headers.get("dpop-nonce");
    if (offered === null) return response;
    const retry = offered !== nonce && (await asksForNonce(response));
    nonce = offered;
    return retry ? send() : response;
  };
}

/** A 401 with `error="use_dpop_nonce"` (resource server) or a 400 `use_dpop_nonce` body (issuer). */
async function asksForNonce(response: Response): Promise<boolean> {
  if (/error="use_dpop_nonce"/.test(response.headers.get("www-authenticate") ?? "")) return true;
  if (response.status !== 400) return false;
  const body = (await response
    .clone()
    .json()
    .catch(() => ({}))) as { error?: unknown };
  return body.error === "use_dpop_nonce";
}

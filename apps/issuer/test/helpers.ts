import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { type RunningIssuer, type StartIssuerOptions, startIssuer } from "../src/index";

export const AUDIENCE = "https://quickstarts/api";
export const WEB_ORIGIN = "http://localhost:3000";
export const REDIRECT_URI = `${WEB_ORIGIN}/`;
/** Where the API's docs page would be: the machine client may get tokens from it in a browser. */
export const API_ORIGIN = "http://localhost:3010";

const silent = { info() {}, warn() {}, error() {} };

/** A temporary data directory, removed by the returned cleanup. */
export async function tempDataDir(): Promise<{ dataDir: string; remove: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), "issuer-test-"));
  return { dataDir, remove: () => rm(dataDir, { recursive: true, force: true }) };
}

/**
 * The embedded oidc-provider issuer on 127.0.0.1, a free port, a fresh data dir unless given one.
 * (Not packages/auth's `startTestIssuer`, which serves only discovery and a JWKS.)
 */
export async function startEmbeddedIssuer(options: Partial<StartIssuerOptions> = {}) {
  const temp = options.dataDir ? undefined : await tempDataDir();
  const issuer = await startIssuer({
    port: 0,
    host: "127.0.0.1",
    audience: AUDIENCE,
    webOrigins: [WEB_ORIGIN],
    apiOrigins: [API_ORIGIN],
    dataDir: options.dataDir ?? (temp?.dataDir as string),
    logger: silent,
    ...options,
  });
  return {
    ...issuer,
    async close() {
      await issuer.close();
      await temp?.remove();
    },
  };
}

/** POSTs a form to the issuer's token endpoint. */
export function postToken(
  issuer: Pick<RunningIssuer, "url">,
  params: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return fetch(`${issuer.url}oauth/token`, { method: "POST", body: new URLSearchParams(params), headers });
}

/** Verifies an access token as the API would: issuer's JWKS, RS256, audience, issuer, `at+jwt`. */
export async function verifyAccessToken(issuer: RunningIssuer, token: string) {
  const jwks = createRemoteJWKSet(new URL(`${issuer.url}.well-known/jwks.json`));
  return jwtVerify(token, jwks, {
    issuer: issuer.url,
    audience: AUDIENCE,
    algorithms: ["RS256"],
    typ: "at+jwt",
  });
}

/** Cookies by name, enough for one browser talking to one host (paths are ignored). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = header.split(";");
      const index = pair.indexOf("=");
      const name = pair.slice(0, index).trim();
      const expired = attributes.some(
        (a) => /^\s*expires=/i.test(a) && Date.parse(a.split("=")[1] ?? "") < Date.now(),
      );
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(index + 1));
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/** A browser-ish client: keeps cookies, does not follow redirects by itself. */
export function browser(issuer: RunningIssuer) {
  const jar = new CookieJar();
  const request = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(url, issuer.url), {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header() },
    });
    jar.store(response);
    return response;
  };
  return {
    get: (url: string) => request(url),
    postForm: (url: string, form: Record<string, string>) =>
      request(url, { method: "POST", body: new URLSearchParams(form) }),
    /** Follows redirects within the issuer; stops at a page or at a redirect elsewhere (the app's). */
    async follow(response: Response): Promise<Response> {
      let current = response;
      for (let hops = 0; hops < 10; hops++) {
        const location = current.headers.get("location");
        if (!location || new URL(location, issuer.url).origin !== new URL(issuer.url).origin) return current;
        current = await request(location);
      }
      throw new Error("too many redirects");
    },
  };
}

/** A PKCE pair (S256). */
export function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** The authorization URL the SPA (oidc-client-ts) builds. */
export function authorizeUrl(issuer: RunningIssuer, params: Record<string, string | undefined>) {
  const url = new URL("authorize", issuer.url);
  const all: Record<string, string | undefined> = {
    client_id: "quickstart-spa",
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope: "openid profile read:messages",
    state: "state-1",
    code_challenge_method: "S256",
    ...params,
  };
  for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

/** A browser at the login page of a new authorization request; `verifier` is its PKCE verifier. */
export async function openLoginPage(issuer: RunningIssuer, extra: Record<string, string> = {}) {
  const client = browser(issuer);
  const { verifier, challenge } = pkce();
  const page = await client.follow(
    await client.get(authorizeUrl(issuer, { code_challenge: challenge, ...extra })),
  );
  if (page.status !== 200) throw new Error(`expected the login page, got ${page.status}`);
  return { client, page, verifier, loginPath: `${new URL(page.url).pathname}/login` };
}

/**
 * The whole browser sign-in over HTTP; resolves the token response for the user. The client is the
 * SPA unless `extra` names another `client_id` and `redirect_uri`.
 */
export async function signIn(
  issuer: RunningIssuer,
  {
    username,
    password,
    extra = {},
    tokenHeaders = {},
  }: {
    username: string;
    password: string;
    extra?: Record<string, string>;
    /** Headers of the code exchange, such as a DPoP proof. */
    tokenHeaders?: Record<string, string>;
  },
) {
  const { client, verifier, loginPath } = await openLoginPage(issuer, extra);
  const callback = await client.follow(await client.postForm(loginPath, { username, password }));
  const location = new URL(callback.headers.get("location") ?? "");
  const code = location.searchParams.get("code");
  if (!code) throw new Error(`no code in ${location.href}`);
  const response = await postToken(
    issuer,
    {
      grant_type: "authorization_code",
      client_id: extra.client_id ?? "quickstart-spa",
      code,
      redirect_uri: extra.redirect_uri ?? REDIRECT_URI,
      code_verifier: verifier,
    },
    tokenHeaders,
  );
  return { response, body: (await response.json()) as Record<string, string>, callback: location };
}

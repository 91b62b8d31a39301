/**
 * The web app's configuration. vite.config.ts reads it from the environment (and the repo root's
 * `.env`) at BUILD time and inlines it into the bundle, which anyone can read: it must never hold
 * a secret. The SPA is a public OAuth client, so it has none.
 */
export interface WebConfig {
  /** The OpenID issuer identifier, compared exactly with `iss`, e.g. `https://example.authok.cn/`. */
  issuer: string;
  /** The API's identifier at the issuer, sent as the `audience` authorization parameter. */
  audience: string;
  /** The SPA's public client id at the issuer. */
  clientId: string;
  /** Where the API listens, without a trailing slash, e.g. `http://localhost:3010`. */
  apiUrl: string;
}

export interface WebEnv extends WebConfig {
  /** The port of `vite` and `vite preview` (build tooling only, not in the bundle). */
  webPort: number;
}

export const WEB_ENV_DEFAULTS = {
  AUTH_ISSUER: "http://localhost:3020/",
  API_AUDIENCE: "https://quickstarts/api",
  WEB_CLIENT_ID: "quickstart-spa",
  API_URL: "http://localhost:3010",
  WEB_PORT: "3000",
} as const;

/** Thrown by {@link parseWebEnv} with one line per bad variable. */
export class WebEnvError extends Error {
  override name = "WebEnvError";
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid web configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}\n` +
        "See .env.example for every variable and its default.",
    );
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}

/** https everywhere, http only on this machine: tokens must not cross a network in clear text. */
function checkUrl(name: string, value: string, problems: string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name} must be an absolute URL such as https://example.authok.cn/ (got "${value}")`);
    return undefined;
  }
  if (!(url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname)))) {
    problems.push(
      `${name} must use https: (http: is allowed only for localhost and 127.0.0.1) (got "${value}")`,
    );
  } else if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    problems.push(`${name} must not have a query, fragment or credentials (got "${value}")`);
  }
  return url;
}

/**
 * Validates the variables the web app reads. Empty values count as unset. `AUTH_ISSUER` wins over
 * `AUTHOK_DOMAIN` (which becomes `https://<domain>/`, the quickstart's issuer form).
 *
 * @example
 * parseWebEnv({ AUTHOK_DOMAIN: "example.authok.cn" }).issuer // "https://example.authok.cn/"
 * @throws {WebEnvError} listing every bad variable.
 */
export function parseWebEnv(source: Readonly<Record<string, string | undefined>>): WebEnv {
  const read = (name: string) => {
    const value = source[name]?.trim();
    return value === "" ? undefined : value;
  };
  const problems: string[] = [];

  const domain = read("AUTHOK_DOMAIN");
  if (domain !== undefined && !/^[a-z0-9.-]+(:\d+)?$/i.test(domain)) {
    problems.push(
      `AUTHOK_DOMAIN must be a host name such as example.authok.cn, no scheme or path (got "${domain}")`,
    );
  }
  const issuer =
    read("AUTH_ISSUER") ?? (domain === undefined ? WEB_ENV_DEFAULTS.AUTH_ISSUER : `https://${domain}/`);
  checkUrl(read("AUTH_ISSUER") === undefined ? "AUTHOK_DOMAIN" : "AUTH_ISSUER", issuer, problems);

  const apiUrl = read("API_URL") ?? WEB_ENV_DEFAULTS.API_URL;
  const parsedApiUrl = checkUrl("API_URL", apiUrl, problems);

  const clientId = read("WEB_CLIENT_ID") ?? WEB_ENV_DEFAULTS.WEB_CLIENT_ID;
  if (/\s/.test(clientId)) problems.push(`WEB_CLIENT_ID must not contain spaces (got "${clientId}")`);

  const webPortText = read("WEB_PORT") ?? WEB_ENV_DEFAULTS.WEB_PORT;
  const webPort = Number(webPortText);
  if (!/^\d+$/.test(webPortText) || webPort < 1 || webPort > 65535) {
    problems.push(`WEB_PORT must be a port number between 1 and 65535 (got "${webPortText}")`);
  }

  if (problems.length > 0) throw new WebEnvError(problems);
  return {
    issuer,
    audience: read("API_AUDIENCE") ?? WEB_ENV_DEFAULTS.API_AUDIENCE,
    clientId,
    // No trailing slash, so paths join as `${apiUrl}/api/public`.
    apiUrl: (parsedApiUrl?.href ?? apiUrl).replace(/\/+$/, ""),
    webPort,
  };
}

/**
 * The web app's configuration, read by the SPA at start-up from `/config.json` next to index.html:
 * one build works for any issuer, API and port. Vite (dev and preview) renders that file from the
 * environment it was started with (and the repo root's `.env`); in a container, whatever serves the
 * SPA renders it. Anyone can read it: it must never hold a secret. The SPA is a public OAuth client,
 * so it has none.
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
  /** The port of `vite` and `vite preview` (not part of `/config.json`). */
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
 * `AUTHOK_DOMAIN` (which becomes `https://<domain>/`, the quickstart's issuer form). Of a
 * comma-separated list (the API accepts several issuers and audiences), the SPA uses the first.
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
  // The first entry of a comma-separated list: where users log in, and for which API.
  const first = (name: string) =>
    read(name)
      ?.split(",")
      .map((item) => item.trim())
      .find(Boolean);
  const problems: string[] = [];

  const domain = first("AUTHOK_DOMAIN");
  if (domain !== undefined && !/^[a-z0-9.-]+(:\d+)?$/i.test(domain)) {
    problems.push(
      `AUTHOK_DOMAIN must be a host name such as example.authok.cn, no scheme or path (got "${domain}")`,
    );
  }
  const issuer =
    first("AUTH_ISSUER") ?? (domain === undefined ? WEB_ENV_DEFAULTS.AUTH_ISSUER : `https://${domain}/`);
  checkUrl(first("AUTH_ISSUER") === undefined ? "AUTHOK_DOMAIN" : "AUTH_ISSUER", issuer, problems);

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
    audience: first("API_AUDIENCE") ?? WEB_ENV_DEFAULTS.API_AUDIENCE,
    clientId,
    // No trailing slash, so paths join as `${apiUrl}/api/public`.
    apiUrl: (parsedApiUrl?.href ?? apiUrl).replace(/\/+$/, ""),
    webPort,
  };
}

/** The path the SPA fetches its {@link WebConfig} from, relative to its origin. */
export const CONFIG_PATH = "/config.json";

/**
 * Checks a fetched `/config.json`: an object whose four fields are non-empty strings, and URLs
 * where URLs belong. The server that renders the file validated it already (see
 * {@link parseWebEnv}); this catches a file written by hand.
 *
 * @throws {Error} naming every bad field.
 */
export function parseWebConfig(value: unknown): WebConfig {
  const source = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const fields = ["issuer", "audience", "clientId", "apiUrl"] as const;
  const problems = fields
    .filter((field) => typeof source[field] !== "string" || (source[field] as string).trim() === "")
    .map((field) => `"${field}" must be a non-empty string`);
  for (const field of ["issuer", "apiUrl"] as const) {
    if (typeof source[field] === "string" && !URL.canParse(source[field] as string))
      problems.push(`"${field}" must be an absolute URL (got "${source[field]}")`);
  }
  if (problems.length > 0) throw new Error(`Invalid ${CONFIG_PATH}: ${problems.join("; ")}`);
  return {
    issuer: source.issuer as string,
    audience: source.audience as string,
    clientId: source.clientId as string,
    apiUrl: (source.apiUrl as string).replace(/\/+$/, ""),
  };
}

export interface CspOrigins {
  /** Where the API listens; the SPA calls it with fetch. */
  apiUrl: string;
  /** The issuer; oidc-client-ts fetches its discovery document and token endpoint. */
  issuer: string;
}

/**
 * The SPA's Content-Security-Policy directives. No inline script or style is allowed: Vite's
 * production build emits only files. The issuer is reached by top-level navigation (login,
 * logout), which no directive governs, and by fetch (`connect-src`). Tokens are renewed with the
 * refresh token, never with oidc-client-ts's hidden iframe, hence `frame-src 'none'`.
 */
export function contentSecurityPolicy({ apiUrl, issuer }: CspOrigins): Record<string, string> {
  const connect = [...new Set([new URL(apiUrl).origin, new URL(issuer).origin])];
  return {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": ["'self'", ...connect].join(" "),
    "frame-src": "'none'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
  };
}

/** Joins directives into a policy string. */
function serializeCsp(directives: Record<string, string>): string {
  return Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join("; ");
}

/**
 * Headers for `vite preview` (and any static host configured the same way), rendered from the same
 * run-time configuration as `/config.json`. The CSP is a header only: a `<meta>` tag written at
 * build time would name the API and issuer of the build, and browsers enforce it on top of the
 * header, blocking any other.
 */
export function securityHeaders(origins: CspOrigins): Record<string, string> {
  return {
    "Content-Security-Policy": serializeCsp(contentSecurityPolicy(origins)),
    ...baseSecurityHeaders(),
  };
}

/**
 * Headers without a CSP, for the dev server: @vitejs/plugin-react injects an inline script for
 * Fast Refresh and Vite injects styles inline, which the production policy would block.
 */
export function baseSecurityHeaders(): Record<string, string> {
  return {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    // The callback URL carries the authorization code until the app cleans it: never leak it.
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
  };
}

/**
 * Reads an access token's claims FOR DISPLAY ONLY. Nothing here checks a signature: the API
 * verifies tokens, the SPA only shows what it was given. Opaque (non-JWT) tokens yield `undefined`.
 */
export interface AccessTokenSummary {
  issuer?: string;
  audiences: string[];
  expiresAt?: Date;
  /** From `scope` (space-separated, RFC 9068), `scp` or Auth0-style `permissions`. */
  scopes: string[];
  claims: Record<string, unknown>;
}

function decodeBase64Url(segment: string): string {
  // atob's forgiving base64 accepts the missing "=" padding; only the alphabet differs.
  const binary = atob(segment.replaceAll("-", "+").replaceAll("_", "/"));
  return new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}

/** The payload of a compact JWS, or `undefined` if `token` is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(decodeBase64Url(parts[1]));
    return typeof payload === "object" && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];

const date = (value: unknown): Date | undefined =>
  typeof value === "number" && Number.isFinite(value) ? new Date(value * 1000) : undefined;

export function summarizeAccessToken(token: string): AccessTokenSummary | undefined {
  const claims = decodeJwtPayload(token);
  if (!claims) return undefined;
  const { iss, aud, exp, scope, scp, permissions } = claims;
  const scopes = new Set([
    ...(typeof scope === "string" ? scope.split(" ").filter(Boolean) : []),
    ...(typeof scp === "string" ? scp.split(" ").filter(Boolean) : strings(scp)),
    ...strings(permissions),
  ]);
  return {
    issuer: typeof iss === "string" ? iss : undefined,
    audiences: typeof aud === "string" ? [aud] : strings(aud),
    expiresAt: date(exp),
    scopes: [...scopes],
    claims,
  };
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "in 5 minutes", "2 hours ago", "now". */
export function formatRelativeTime(target: Date, now: Date): string {
  const seconds = Math.round((target.getTime() - now.getTime()) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return relative.format(Math.trunc(seconds / size), unit);
    }
  }
  return relative.format(0, "second");
}

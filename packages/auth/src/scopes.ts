import { InsufficientScope, TokenClaimsInvalid } from "./errors";
import { quote } from "./key-set";

/** What scope checks need from verified claims. */
export interface ScopedClaims {
  scope?: string | undefined;
  permissions?: readonly string[] | undefined;
}

/**
 * The scopes a token grants: its space-delimited `scope` claim (RFC 9068 §2.2.3) and an
 * Auth0-style `permissions` array, combined. Read only from verified claims.
 */
export function readScopes(claims: ScopedClaims): ReadonlySet<string> {
  const fromScope = claims.scope?.split(" ").filter(Boolean) ?? [];
  return new Set([...fromScope, ...(claims.permissions ?? [])]);
}

/** Where scopes are read from: `AUTH_SCOPE_CLAIMS` and `AUTH_SCOPE_PREFIX`. */
export interface ScopePolicy {
  /** Claim names, in order; each may hold a space-delimited string or an array of strings. */
  claims: readonly string[];
  /** When set, only scopes starting with it are granted, with it removed. */
  prefix?: string | undefined;
}

/**
 * The scopes granted by the claims `policy` names (a verified token's payload, or an
 * introspection answer). A claim holding anything but a string or an array of strings is refused
 * as {@link TokenClaimsInvalid}, never skipped: a scope claim the API cannot read is an error.
 *
 * @example
 * readScopeClaims({ scp: "read:messages", roles: ["Messages.Admin"] }, { claims: ["scp", "roles"] });
 * // => Set { "read:messages", "Messages.Admin" }
 */
export function readScopeClaims(claims: Record<string, unknown>, policy: ScopePolicy): ReadonlySet<string> {
  const scopes = new Set<string>();
  for (const name of policy.claims) {
    const value = claims[name];
    if (value === undefined) continue;
    const values = typeof value === "string" ? value.split(" ") : value;
    if (!Array.isArray(values) || !values.every((scope) => typeof scope === "string")) {
      throw new TokenClaimsInvalid({
        detail: `${name} expected a space-delimited string or an array of strings, got ${quote(value)} (scopes are read from ${policy.claims.join(", ")})`,
      });
    }
    for (const scope of values) {
      if (scope === "") continue;
      if (policy.prefix === undefined) scopes.add(scope);
      else if (scope.startsWith(policy.prefix)) scopes.add(scope.slice(policy.prefix.length));
    }
  }
  return scopes;
}

/**
 * What the scope checks accept: a verified token's `scopes` (read once, when it was verified) or
 * claims, whose scopes are then read on every call.
 */
export type GrantedScopes = ReadonlySet<string> | ScopedClaims;

function scopeSet(granted: GrantedScopes): ReadonlySet<string> {
  return granted instanceof Set ? granted : readScopes(granted as ScopedClaims);
}

/** True when every one of `required` is granted (exact, case-sensitive matches). */
export function hasScopes(granted: GrantedScopes, required: readonly string[]): boolean {
  const scopes = scopeSet(granted);
  return required.every((scope) => scopes.has(scope));
}

/** True when at least one of `required` is granted. */
export function hasAnyScope(granted: GrantedScopes, required: readonly string[]): boolean {
  const scopes = scopeSet(granted);
  return required.some((scope) => scopes.has(scope));
}

/**
 * Throws {@link InsufficientScope} unless every scope in `required` is granted.
 *
 * @example
 * const token = await verifier.verify(parseAuthorizationHeader(header));
 * assertScopes(token.scopes, ["read:messages"]);
 */
export function assertScopes(granted: GrantedScopes, required: readonly string[]): void {
  if (!hasScopes(granted, required)) {
    const detail = `scopes required ${quote(required)}, granted ${quote([...scopeSet(granted)])}`;
    throw new InsufficientScope(required, { detail });
  }
}

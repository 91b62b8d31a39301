import { InsufficientScope } from "./errors";

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
  if (!hasScopes(granted, required)) throw new InsufficientScope(required);
}

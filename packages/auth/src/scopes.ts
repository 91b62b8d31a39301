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

/** True when the claims grant every one of `required` (exact, case-sensitive matches). */
export function hasScopes(claims: ScopedClaims, required: readonly string[]): boolean {
  const granted = readScopes(claims);
  return required.every((scope) => granted.has(scope));
}

/** True when the claims grant at least one of `required`. */
export function hasAnyScope(claims: ScopedClaims, required: readonly string[]): boolean {
  const granted = readScopes(claims);
  return required.some((scope) => granted.has(scope));
}

/**
 * Throws {@link InsufficientScope} unless the claims grant every scope in `required`.
 *
 * @example
 * assertScopes(claims, ["read:messages"]);
 */
export function assertScopes(claims: ScopedClaims, required: readonly string[]): void {
  if (!hasScopes(claims, required)) throw new InsufficientScope(required);
}

/**
 * Every scope this API checks, with what it grants. `scopedProcedure` accepts only these names, so
 * a misspelled scope fails to compile; the OpenAPI document and the RFC 9728 metadata list them.
 */
export const SCOPES = {
  "read:messages": "Read the private-scoped message",
} as const satisfies Record<string, string>;

export type Scope = keyof typeof SCOPES;

export function isScope(name: string): name is Scope {
  return Object.hasOwn(SCOPES, name);
}

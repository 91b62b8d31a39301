import { describe, expect, it } from "vitest";
import { MAX_AUTHORIZATION_HEADER_LENGTH, parseAuthorizationHeader } from "./authorization-header";
import { AuthError } from "./errors";

function refusal(value: string | string[] | undefined) {
  try {
    parseAuthorizationHeader(value);
  } catch (error) {
    if (error instanceof AuthError) return [error.status, error.code, error.description];
    throw error;
  }
  throw new Error(`accepted ${String(value)}`);
}

describe("parseAuthorizationHeader", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["BEARER abc", "abc"],
    ["  Bearer \t abc  ", "abc"],
  ])("takes the token from %j", (header, token) => {
    expect(parseAuthorizationHeader(header)).toBe(token);
  });

  it.each<[string | string[] | undefined, string, string]>([
    [undefined, "authorization_header_missing", "Authorization header is expected"],
    ["", "authorization_header_missing", "Authorization header is expected"],
    ["   ", "authorization_header_missing", "Authorization header is expected"],
    ["Basic dXNlcjpwYXNz", "invalid_header", "Authorization header must start with Bearer"],
    ["Bearerabc", "invalid_header", "Authorization header must start with Bearer"],
    ["Bearer", "invalid_header", "Token not found"],
    ["Bearer   ", "invalid_header", "Token not found"],
    ["Bearer a b", "invalid_header", "Authorization header must be Bearer token"],
    [["Bearer a", "Bearer b"], "invalid_header", "Authorization header must be Bearer token"],
    [
      `Bearer ${"a".repeat(MAX_AUTHORIZATION_HEADER_LENGTH)}`,
      "invalid_header",
      "Authorization header is too large",
    ],
  ])("refuses %j with 401 %s", (header, code, description) => {
    expect(refusal(header)).toEqual([401, code, description]);
  });
});

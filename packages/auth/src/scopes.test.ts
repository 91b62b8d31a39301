import { describe, expect, it } from "vitest";
import { InsufficientScope, TokenClaimsInvalid } from "./errors";
import { assertScopes, hasAnyScope, hasScopes, readScopeClaims, readScopes } from "./scopes";

describe("scopes", () => {
  it("reads the space-delimited scope claim and the permissions array together", () => {
    expect([...readScopes({ scope: "openid  read:messages", permissions: ["write:messages"] })]).toEqual([
      "openid",
      "read:messages",
      "write:messages",
    ]);
    expect(readScopes({}).size).toBe(0);
  });

  it("grants only by exact match", () => {
    for (const scope of [
      "read:messagesX",
      "Read:messages",
      "read:message",
      "xread:messages",
      "read:messages,",
    ]) {
      expect(hasScopes({ scope }, ["read:messages"])).toBe(false);
    }
    expect(hasScopes({ scope: "a read:messages b" }, ["read:messages"])).toBe(true);
    expect(hasScopes({ permissions: ["read:messages"] }, ["read:messages"])).toBe(true);
  });

  it("needs all of them for hasScopes and one of them for hasAnyScope", () => {
    const claims = { scope: "a b" };
    expect(hasScopes(claims, ["a", "b"])).toBe(true);
    expect(hasScopes(claims, ["a", "c"])).toBe(false);
    expect(hasAnyScope(claims, ["a", "c"])).toBe(true);
    expect(hasAnyScope(claims, ["c", "d"])).toBe(false);
  });

  it("checks a verified token's scope set the same way as its claims", () => {
    const claims = { scope: "a b", permissions: ["c"] };
    const granted = readScopes(claims);
    for (const required of [["a"], ["a", "c"], ["d"], ["a", "d"], []]) {
      expect(hasScopes(granted, required)).toBe(hasScopes(claims, required));
      expect(hasAnyScope(granted, required)).toBe(hasAnyScope(claims, required));
    }
    expect(hasScopes(granted, ["a", "c"])).toBe(true);
    expect(() => assertScopes(new Set(["openid"]), ["read:messages"])).toThrow(InsufficientScope);
  });

  it("throws the quickstart's 403 when a scope is missing", () => {
    expect(() => assertScopes({ scope: "openid" }, ["read:messages"])).toThrow(InsufficientScope);
    try {
      assertScopes({ scope: "openid" }, ["read:messages"]);
    } catch (error) {
      expect((error as InsufficientScope).toJSON()).toEqual({
        code: "Unauthorized",
        description: "您没有权限访问当前资源",
      });
      expect((error as InsufficientScope).status).toBe(403);
    }
  });
});

describe("readScopeClaims", () => {
  const entra = { claims: ["scp", "roles"] };
  it.each([
    ["a space-delimited string", { scp: "read:messages  openid" }, entra, ["read:messages", "openid"]],
    [
      "an array",
      { scp: ["read:messages"], roles: ["Messages.Admin"] },
      entra,
      ["read:messages", "Messages.Admin"],
    ],
    ["claims in order, absent ones skipped", { roles: "b a" }, entra, ["b", "a"]],
    ["claims not listed ignored", { scope: "read:messages" }, entra, []],
    [
      "a prefix kept only where present, and removed",
      { scope: "https://api/read:messages openid other/read:messages" },
      { claims: ["scope"], prefix: "https://api/" },
      ["read:messages"],
    ],
  ])("reads %s", (_name, claims, policy, scopes) => {
    expect([...readScopeClaims(claims, policy)]).toEqual(scopes);
  });

  it.each([
    ["a number", { scp: 5 }, "scp expected a space-delimited string or an array of strings, got 5"],
    [
      "an array with a number",
      { roles: ["a", 1] },
      'roles expected a space-delimited string or an array of strings, got ["a",1]',
    ],
    [
      "an object",
      { scp: { a: 1 } },
      'scp expected a space-delimited string or an array of strings, got {"a":1}',
    ],
    ["null", { scp: null }, "scp expected a space-delimited string or an array of strings, got null"],
  ])("refuses %s as invalid_claims, naming the claims read", (_name, claims, detail) => {
    expect(() => readScopeClaims(claims, entra)).toThrow(TokenClaimsInvalid);
    try {
      readScopeClaims(claims, entra);
    } catch (error) {
      expect((error as TokenClaimsInvalid).detail).toBe(`${detail} (scopes are read from scp, roles)`);
    }
  });
});

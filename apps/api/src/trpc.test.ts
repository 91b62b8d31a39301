import { InsufficientScope, readScopes, TokenExpired, type VerifiedAccessToken } from "@quickstart/auth";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { MESSAGES } from "./messages";
import { appRouter } from "./root";
import { createCallerFactory, createContextInner, scopedProcedure } from "./trpc";

const createCaller = createCallerFactory(appRouter);

function callerWith(claims: VerifiedAccessToken["claims"] | Error) {
  return createCaller(
    createContextInner({
      authenticate: async () => {
        if (claims instanceof Error) throw claims;
        return { claims, scopes: readScopes(claims) };
      },
    }),
  );
}

const claims = (scope: string) => ({ iss: "https://issuer/", aud: "api", exp: 2e9, sub: "alice", scope });

describe("procedures through createCaller", () => {
  it("public never authenticates", async () => {
    expect(await callerWith(new TokenExpired()).public()).toEqual({ message: MESSAGES.public });
  });

  it("private maps the verifier's error to UNAUTHORIZED with the cause kept", async () => {
    const error = await callerWith(new TokenExpired())
      .private()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("UNAUTHORIZED");
    expect((error as TRPCError).cause).toBeInstanceOf(TokenExpired);
  });

  it("privateScoped checks the verified claims' scopes", async () => {
    expect(await callerWith(claims("read:messages")).privateScoped()).toEqual({
      message: MESSAGES.privateScoped,
    });
    const error = await callerWith(claims("openid"))
      .privateScoped()
      .catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe("FORBIDDEN");
    expect((error as TRPCError).cause).toBeInstanceOf(InsufficientScope);
  });
});

describe("scopedProcedure", () => {
  it("accepts only the scopes in the registry (scopes.ts), at compile time and at start-up", () => {
    expect(() => scopedProcedure("read:messages")).not.toThrow();
    // @ts-expect-error a misspelled scope does not compile (tsc runs on this file in `pnpm check`)
    expect(() => scopedProcedure("read:message")).toThrow("read:message is not in SCOPES (scopes.ts)");
    // @ts-expect-error at least one scope: a scoped procedure with none is a protected one
    expect(() => scopedProcedure()).not.toThrow();
  });
});

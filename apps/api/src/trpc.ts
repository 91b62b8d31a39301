/**
 * tRPC setup: context, initialization and the procedures every router builds on.
 * Verification happens in `protectedProcedure`, not in the context, so public procedures work
 * with no Authorization header or a bad one, as in the quickstart.
 */

import type { IncomingHttpHeaders } from "node:http";
import {
  type AccessTokenVerifier,
  AuthError,
  assertScopes,
  parseAuthorizationHeader,
  toAuthError,
  type VerifiedAccessToken,
} from "@quickstart/auth";
import { initTRPC, TRPCError } from "@trpc/server";

/**
 * 1. CONTEXT
 *
 * The inner context is pure: tests build it with `createContextInner` and call procedures through
 * `createCaller`. The Fastify adapter's context only wires the request's Authorization header to the
 * verifier, lazily.
 */
export interface ContextInner {
  /** Verifies the request's bearer token; rejects with an AuthError. */
  authenticate: () => Promise<VerifiedAccessToken>;
}

export function createContextInner(inner: ContextInner): ContextInner {
  return inner;
}

export function createFastifyContextFactory(verifier: AccessTokenVerifier) {
  return ({ req }: { req: { headers: IncomingHttpHeaders } }): ContextInner => {
    let verified: Promise<VerifiedAccessToken> | undefined;
    return createContextInner({
      // Memoised: a batch of protected calls verifies the token once.
      authenticate: () => {
        if (verified === undefined) {
          try {
            verified = verifier.verify(parseAuthorizationHeader(req.headers.authorization));
          } catch (error) {
            verified = Promise.reject(error); // a malformed header
          }
        }
        return verified;
      },
    });
  };
}

/**
 * 2. INITIALIZATION
 *
 * The error formatter puts the quickstart's `{ code, description }` in `error.data.auth`, typed
 * for clients, and never sends a stack trace or an internal error's message.
 */
const t = initTRPC.context<ContextInner>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    const auth = error.cause instanceof AuthError ? error.cause.toJSON() : null;
    const message = error.code === "INTERNAL_SERVER_ERROR" ? "Internal server error" : shape.message;
    return { ...shape, message, data: { ...shape.data, stack: undefined, auth } };
  },
});

const TRPC_CODE_BY_STATUS = {
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  503: "SERVICE_UNAVAILABLE",
} as const;

/** The one place an AuthError becomes a tRPC error (REST has its own, in rest-routes.ts). */
function toTRPCError(error: AuthError): TRPCError {
  return new TRPCError({ code: TRPC_CODE_BY_STATUS[error.status], message: error.description, cause: error });
}

/**
 * 3. PROCEDURES
 */
export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** No authentication: the Authorization header is never read. */
export const publicProcedure = t.procedure;

/** A valid access token is required; its verified claims are in `ctx.token`. */
export const protectedProcedure = t.procedure.use(async ({ ctx, next }) => {
  let token: VerifiedAccessToken;
  try {
    token = await ctx.authenticate();
  } catch (error) {
    throw toTRPCError(toAuthError(error));
  }
  return next({ ctx: { token } });
});

/** A valid access token granting every scope in `scopes` (checked on the verified claims). */
export function scopedProcedure(...scopes: string[]) {
  return protectedProcedure.use(({ ctx, next }) => {
    try {
      assertScopes(ctx.token.scopes, scopes);
    } catch (error) {
      throw toTRPCError(toAuthError(error));
    }
    return next();
  });
}

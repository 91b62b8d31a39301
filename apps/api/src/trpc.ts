/**
 * tRPC setup: context, initialization and the procedures every router builds on.
 *
 * You probably don't need to edit this file: add endpoints in root.ts. Edit it to change what a
 * request's context holds or how authentication works. Verification happens in
 * `protectedProcedure`, not in the context, so public procedures work with no Authorization header
 * or a bad one, as in the quickstart.
 */

import type { IncomingHttpHeaders } from "node:http";
import {
  AuthError,
  type AuthErrorCode,
  assertScopes,
  type RequestAuthenticator,
  toAuthError,
  type VerifiedAccessToken,
} from "@quickstart/auth";
import { initTRPC, TRPCError, type TRPCProcedureBuilder, type TRPCUnsetMarker } from "@trpc/server";
import type { z } from "zod";
import { isScope, type Scope } from "./scopes";

/**
 * 1. CONTEXT
 *
 * The inner context is pure: tests build it with `createContextInner` and call procedures through
 * `createCaller`. The HTTP context (tRPC adapter and REST mirrors alike) wires the request's
 * Authorization and DPoP headers, method and path to the authenticator, lazily.
 */
export interface ContextInner {
  /** Verifies the request's access token (and DPoP proof); rejects with an AuthError. */
  authenticate: () => Promise<VerifiedAccessToken>;
  /** The HTTP request being answered, if any: what a proof bound to it (DPoP) is checked against. */
  request?: { method: string; path: string } | undefined;
  /** Told of each protected call's decision, for metrics (metrics.ts counts them by transport). */
  decisions?: AuthDecisions | undefined;
}

/** What a protected procedure decided about a call: allowed, or refused with an error code. */
export interface AuthDecisions {
  allowed(): void;
  refused(code: AuthErrorCode): void;
}

export function createContextInner(inner: ContextInner): ContextInner {
  return inner;
}

/** What the HTTP context reads from a request (Fastify's and Node's requests both have it). */
interface HttpRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingHttpHeaders;
}

export function createHttpContextFactory(authenticator: RequestAuthenticator, decisions?: AuthDecisions) {
  return ({ req }: { req: HttpRequest }): ContextInner => {
    const request = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers };
    let verified: Promise<VerifiedAccessToken> | undefined;
    return createContextInner({
      // Memoised: a tRPC batch is one HTTP request with one DPoP proof, verified (and spent) once.
      authenticate: () => {
        verified ??= authenticator.authenticate(request);
        return verified;
      },
      request: { method: request.method, path: request.url.split("?", 1)[0] ?? "/" },
      decisions,
    });
  };
}

/**
 * 2. INITIALIZATION
 *
 * `Meta` is what each procedure declares about itself: the REST mirrors, the MCP tools, the OpenAPI
 * document and the docs page read it, so nothing about an endpoint is written twice.
 *
 * The error formatter puts the quickstart's `{ code, description }` in `error.data.auth`, typed
 * for clients, and never sends a stack trace or an internal error's message.
 */
export interface Meta {
  /** One line for the OpenAPI operation and the docs page. */
  summary?: string;
  /** The scopes the procedure requires; set by `protectedProcedure` (none) and `scopedProcedure`. */
  scopes?: readonly Scope[];
  /** Also serve the procedure at this REST route: GET takes input from the query string, POST from a JSON body. */
  rest?: { method: "GET" | "POST"; path: `/${string}` };
  /**
   * Also serve the procedure as a tool at `/mcp`, named by its path: `description` tells an AI agent
   * what it does and when to call it (the scopes it needs are added).
   */
  mcp?: { description: string };
  /** Set by {@link endpoint}: the zod schemas the procedure validates with, for the REST mirrors' and MCP tools' JSON Schemas. */
  input?: z.ZodType;
  output?: z.ZodType;
}

const t = initTRPC
  .context<ContextInner>()
  .meta<Meta>()
  .create({
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

/** An AuthError as a tRPC error, kept as its cause: the HTTP mapping (http-errors.ts) renders from it. */
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

/**
 * A valid access token is required; its verified claims are in `ctx.token`. Any scopes the
 * procedure's meta declares (see {@link scopedProcedure}) are checked on those claims.
 *
 * @example
 * whoAmI: protectedProcedure.meta({ summary: "Who the token was issued to" }).query(({ ctx }) => ({
 *   subject: ctx.token.claims.sub,
 * })),
 */
export const protectedProcedure = t.procedure.meta({ scopes: [] }).use(async ({ ctx, meta, next }) => {
  let token: VerifiedAccessToken;
  try {
    token = await ctx.authenticate();
    assertScopes(token.scopes, meta?.scopes ?? []);
  } catch (error) {
    const authError = toAuthError(error);
    ctx.decisions?.refused(authError.code);
    throw toTRPCError(authError);
  }
  ctx.decisions?.allowed();
  return next({ ctx: { token } });
});

/**
 * A valid access token granting every one of `scopes`, which must be in the registry (scopes.ts):
 * a misspelled scope does not compile. The scopes go in the procedure's meta, where the check,
 * the OpenAPI document and the docs read them.
 *
 * @example
 * readMessages: scopedProcedure("read:messages")
 *   .meta({ summary: "The private messages", rest: { method: "GET", path: "/api/messages" } })
 *   .query(() => listMessages()),
 */
export function scopedProcedure(...scopes: [Scope, ...Scope[]]) {
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0)
    throw new Error(`scopedProcedure: ${unknown.join(", ")} is not in SCOPES (scopes.ts)`);
  return protectedProcedure.meta({ scopes });
}

/** A procedure builder with the given input and output types and whatever context its middlewares added. */
type Builder<TContextOverrides, TInputIn, TInputOut, TOutputIn, TOutputOut> = TRPCProcedureBuilder<
  ContextInner,
  Meta,
  TContextOverrides,
  TInputIn,
  TInputOut,
  TOutputIn,
  TOutputOut,
  false
>;
type Unset = TRPCUnsetMarker;

type EndpointMeta = Omit<Meta, "scopes" | "input" | "output">;

/**
 * Declares a procedure's meta and its zod `input`/`output` in one place: tRPC validates with the
 * schemas, and the REST mirrors and OpenAPI document read them from the meta.
 *
 * @example
 * greet: endpoint(scopedProcedure("read:messages"), {
 *   summary: "Greets someone",
 *   rest: { method: "POST", path: "/api/greet" },
 *   input: z.object({ name: z.string().min(1) }),
 *   output: z.object({ message: z.string() }),
 * }).mutation(({ input }) => ({ message: `Hello ${input.name}` })),
 */
export function endpoint<TContextOverrides, TInput extends z.ZodType, TOutput extends z.ZodType>(
  builder: Builder<TContextOverrides, Unset, Unset, Unset, Unset>,
  meta: EndpointMeta & { input: TInput; output: TOutput },
): Builder<TContextOverrides, z.input<TInput>, z.output<TInput>, z.input<TOutput>, z.output<TOutput>>;
export function endpoint<TContextOverrides, TOutput extends z.ZodType>(
  builder: Builder<TContextOverrides, Unset, Unset, Unset, Unset>,
  meta: EndpointMeta & { input?: undefined; output: TOutput },
): Builder<TContextOverrides, Unset, Unset, z.input<TOutput>, z.output<TOutput>>;
export function endpoint<TContextOverrides>(
  builder: Builder<TContextOverrides, Unset, Unset, Unset, Unset>,
  meta: EndpointMeta & { input?: z.ZodType | undefined; output: z.ZodType },
) {
  const described = builder.meta(meta);
  return meta.input ? described.input(meta.input).output(meta.output) : described.output(meta.output);
}

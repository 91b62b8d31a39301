/**
 * Every error that becomes an HTTP answer goes through here: AuthErrors through packages/auth's one
 * mapping (`authErrorResponse`), for REST and tRPC alike, and everything else with a generic body.
 */
import { AuthError, authErrorResponse, type ChallengeOptions } from "@quickstart/auth";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";

/** What every challenge carries: the API's RFC 9728 metadata URL and the schemes it accepts. */
type Challenges = () => ChallengeOptions;

/** The one log line for a refused request, so every refusal logs the same fields. */
export function logRefusal(log: FastifyBaseLogger, error: AuthError): void {
  // `detail` says what was expected and found (`aud expected X, got Y`); it never holds the token.
  log.info({ code: error.code, status: error.status, detail: error.detail }, "request refused");
}

/** The AuthError behind an error (a tRPC error keeps it as its cause), if any. */
export function findAuthError(error: unknown): AuthError | undefined {
  if (error instanceof AuthError) return error;
  if (error instanceof TRPCError && error.cause instanceof AuthError) return error.cause;
  return undefined;
}

/** A procedure's input that failed its zod schema, as one readable line naming each field. */
export function describeInvalidInput(error: TRPCError): string | undefined {
  const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
  if (error.code !== "BAD_REQUEST" || !Array.isArray(issues)) return undefined;
  const lines = issues.map((issue: { path?: PropertyKey[]; message?: string }) => {
    const path = issue.path?.map(String).join(".");
    // zod's type errors start with "Invalid input: " too; the answer says it once, up front.
    const message = String(issue.message).replace(/^Invalid input: /, "");
    return path ? `${path}: ${message}` : message;
  });
  return `Invalid input: ${lines.join("; ")}`;
}

/**
 * The REST error handler: AuthErrors with the quickstart's body and headers, a procedure's invalid
 * input as 400 `invalid_request`, other client errors with a generic body, and server errors
 * without details.
 */
export function createRestErrorHandler(challenges: Challenges) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const authError = findAuthError(error);
    if (authError) {
      logRefusal(request.log, authError);
      const { status, headers, body } = authErrorResponse(authError, challenges());
      return reply.status(status).headers(headers).send(body);
    }
    if (error instanceof TRPCError) {
      const invalidInput = describeInvalidInput(error);
      if (invalidInput) return reply.status(400).send({ code: "invalid_request", description: invalidInput });
      const status = getHTTPStatusCodeFromError(error);
      if (status < 500)
        return reply.status(status).send({ code: error.code.toLowerCase(), description: error.message });
    } else {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status < 500) {
        const code = (error as { code?: string }).code ?? "bad_request";
        return reply.status(status).send({ code, description: (error as Error).message });
      }
    }
    request.log.error({ err: error }, "request failed");
    return reply.status(500).send({ code: "internal_error", description: "Internal server error" });
  };
}

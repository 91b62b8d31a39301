/**
 * What one call to the API came back with, in the quickstart's terms, whichever transport made it.
 * Pure functions: the REST and tRPC clients feed them, the UI renders them, the tests pin them.
 */
export type CallOutcome =
  | { kind: "success"; status: number; message: string }
  /** The API answered with an error: the quickstart's `{ code, description }`. */
  | { kind: "refused"; status: number; code: string; description: string }
  /** No HTTP answer at all: API down, wrong URL, CORS or CSP refusal. */
  | { kind: "unreachable"; description: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** A REST mirror's response: `{ message }` on success, `{ code, description }` on failure. */
export function outcomeFromRestResponse(status: number, body: unknown): CallOutcome {
  if (status >= 200 && status < 300 && isRecord(body) && typeof body.message === "string") {
    return { kind: "success", status, message: body.message };
  }
  if (isRecord(body) && typeof body.code === "string") {
    const description = typeof body.description === "string" ? body.description : "";
    return { kind: "refused", status, code: body.code, description };
  }
  return {
    kind: "refused",
    status,
    code: "unexpected_response",
    description: "The response is not the quickstart's JSON.",
  };
}

/** The slice of a TRPCClientError the outcome needs (its typed `data` comes from the API's errorFormatter). */
export interface TrpcErrorLike {
  message: string;
  data?: { httpStatus?: number; code?: string; auth?: { code: string; description: string } | null } | null;
}

/**
 * A tRPC error: the quickstart's code and description are in `error.data.auth`; other errors
 * (e.g. an internal one) show tRPC's own code. No `data` means the request never got an answer.
 */
export function outcomeFromTrpcError(error: TrpcErrorLike, apiUrl: string): CallOutcome {
  const status = error.data?.httpStatus;
  if (status === undefined) return unreachable(apiUrl, error.message);
  const auth = error.data?.auth;
  if (auth) return { kind: "refused", status, code: auth.code, description: auth.description };
  return { kind: "refused", status, code: error.data?.code ?? "unknown", description: error.message };
}

/** A successful tRPC query: a single, unbatched tRPC query that succeeds is always HTTP 200. */
export function outcomeFromTrpcData(data: { message: string }): CallOutcome {
  return { kind: "success", status: 200, message: data.message };
}

export function unreachable(apiUrl: string, reason: string): CallOutcome {
  return {
    kind: "unreachable",
    description: `Could not reach the API at ${apiUrl} (${reason}). Is it running? (pnpm start:api)`,
  };
}

/** Why the API answered this way, in a sentence a quickstart reader understands. */
export function explainOutcome(outcome: CallOutcome): string {
  if (outcome.kind === "unreachable") return "The request got no HTTP response.";
  if (outcome.kind === "success") return "The API accepted the request.";
  switch (outcome.code) {
    case "authorization_header_missing":
      return "No Authorization header was sent: log in to get an access token.";
    case "invalid_header":
      return "The Authorization header is not “Bearer <token>” or the token is malformed or badly signed.";
    case "token_expired":
      return "The access token has expired: renew it or log in again.";
    case "invalid_claims":
      return "The token's issuer or audience does not match what the API expects.";
    case "Unauthorized":
      return "The token is valid but does not carry the read:messages scope.";
    case "jwks_unavailable":
      return "The API could not fetch the issuer's signing keys to verify the token.";
    case "introspection_unavailable":
      return "The API could not ask the issuer about the token (introspection): try again shortly.";
    default:
      return `The API refused the request with HTTP ${outcome.status}.`;
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** "401 Unauthorized"; fetch's statusText is empty over HTTP/2, so it is not used. */
export function formatStatus(status: number): string {
  const text = STATUS_TEXT[status];
  return text ? `${status} ${text}` : String(status);
}

/**
 * A lean path for the call this API serves most: one query over GET, with no input, no batching
 * and no streaming (what `httpLink` sends for `public`, `private` and `privateScoped`).
 *
 * Why: tRPC 11's Fastify adapter turns every request into a Fetch `Request` and its answer into a
 * Fetch `Response`; `pnpm bench` measured that at about 3.5× the CPU of a whole REST request, for
 * public and protected procedures alike. This path answers with the same public tRPC primitives the
 * adapter uses (`callTRPCProcedure`, the router's error formatter, `getHTTPStatusCodeFromError`,
 * `transformTRPCResponse`) and the same headers, and leaves every other request (batches, input,
 * POST, streaming, unknown paths) to the official adapter. `test/trpc-fast-path.test.ts` checks that
 * both answer with the same status, the same body byte for byte and the same Content-Type, Vary,
 * WWW-Authenticate, Retry-After and X-Content-Type-Options headers, except that the content type
 * carries `charset=utf-8`, as every other JSON answer of this API does.
 */
import {
  callTRPCProcedure,
  getErrorShape,
  getTRPCErrorFromUnknown,
  type TRPCError,
  transformTRPCResponse,
} from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { appRouter } from "./root";
import type { ContextInner } from "./trpc";

export interface TrpcFastPathOptions {
  createContext: (options: { req: FastifyRequest }) => ContextInner;
  onError: (options: { error: TRPCError; req: FastifyRequest }) => void;
  /** Extra response headers for a failed call (the WWW-Authenticate challenge, Retry-After). */
  errorHeaders: (errors: TRPCError[]) => Record<string, string>;
}

const QUERY_PATHS = new Set(
  Object.entries(appRouter._def.procedures)
    .filter(([, procedure]) => procedure._def.type === "query")
    .map(([path]) => path),
);

/** The procedure path when the request is a plain query this path can answer, else undefined. */
function plainQueryPath(request: FastifyRequest): string | undefined {
  if (request.method !== "GET" || request.headers["trpc-accept"] !== undefined) return undefined;
  const { path } = request.params as { path?: string };
  if (path === undefined || !QUERY_PATHS.has(path)) return undefined;
  // Any query parameter (batch=1, input=..., connectionParams) is the adapter's business.
  if (Object.keys(request.query as object).length > 0) return undefined;
  return path;
}

/** A Fastify preHandler hook for the tRPC routes: answers plain queries, lets the rest through. */
export function createTrpcFastPath(options: TrpcFastPathOptions) {
  const config = appRouter._def._config;
  // The adapter's answers vary on these request headers; so do ours.
  const vary = "trpc-accept, accept";

  return async function answerPlainQuery(request: FastifyRequest, reply: FastifyReply) {
    const path = plainQueryPath(request);
    if (path === undefined) return;

    const ctx = options.createContext({ req: request });
    let status = 200;
    let headers: Record<string, string> = {};
    let body: unknown;
    try {
      const data = await callTRPCProcedure({
        router: appRouter,
        path,
        getRawInput: async () => undefined,
        ctx,
        type: "query",
        signal: undefined,
        batchIndex: 0,
      });
      // What transformTRPCResponse makes of a result, without its generic object copies (measurable
      // at this request rate): the router's transformer serializes the data.
      body = { result: { data: config.transformer.output.serialize(data) } };
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      options.onError({ error, req: request });
      status = getHTTPStatusCodeFromError(error);
      headers = options.errorHeaders([error]);
      const shape = getErrorShape({ config, error, type: "query", path, input: undefined, ctx });
      body = transformTRPCResponse(config, { error: shape });
    }
    // Node joins a string body to the headers in one chunk (a Buffer goes out as a second one);
    // Fastify then labels it `application/json; charset=utf-8`, as it does the REST mirrors' answers.
    return reply
      .code(status)
      .headers({ ...headers, "content-type": "application/json", vary })
      .send(JSON.stringify(body));
  };
}

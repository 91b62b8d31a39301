/**
 * A Fastify plugin that serves every procedure whose meta names a REST route. Each route answers
 * through tRPC's server-side caller, so authentication, scopes, input validation and logic run
 * through the same procedure chain as over tRPC. Its route schema, derived from the procedure's
 * zod input and output, serializes the answer and is what @fastify/swagger documents.
 */
import type { FastifyPluginAsync, FastifySchema } from "fastify";
import {
  abortWhenClientLeaves,
  createProcedureCall,
  jsonSchemaOf,
  listProcedures,
  type ProceduresOptions,
} from "./procedures";
import type { Meta } from "./trpc";

/** The procedures served are those with `meta.rest`. */
export type RestMirrorsOptions = ProceduresOptions;

/** A documented error answer: the quickstart's `{ code, description }` with the codes it can carry. */
const errorBody = (description: string, codes: string[], header?: string) => ({
  description,
  type: "object",
  properties: { code: { type: "string", enum: codes }, description: { type: "string" } },
  required: ["code", "description"],
  ...(header ? { headers: { [header]: { type: "string" } } } : {}),
});

/** The Fastify route schema of one mirror: what @fastify/swagger turns into its OpenAPI operation. */
function routeSchema(path: string, meta: Meta): FastifySchema {
  const rest = meta.rest as NonNullable<Meta["rest"]>;
  const input = meta.input ? jsonSchemaOf(meta.input, "input") : undefined;
  if (input && rest.method === "GET" && input.type !== "object") {
    throw new Error(
      `${path}: a GET mirror takes its input from the query string, so its input must be a z.object`,
    );
  }
  const isProtected = meta.scopes !== undefined;
  return {
    operationId: path,
    ...(meta.summary ? { summary: meta.summary } : {}),
    // Either scheme will do: a token from one of the issuer's flows, or one pasted in (OpenAPI 3.1
    // lets a bearer scheme list the scopes it needs as roles).
    ...(isProtected
      ? { security: [{ oauth2: [...(meta.scopes ?? [])] }, { bearerAuth: [...(meta.scopes ?? [])] }] }
      : {}),
    ...(input ? { [rest.method === "GET" ? "querystring" : "body"]: input } : {}),
    response: {
      200: { description: "Success", ...(meta.output ? jsonSchemaOf(meta.output, "output") : {}) },
      ...(input
        ? { 400: errorBody("The input does not match the procedure's schema", ["invalid_request"]) }
        : {}),
      ...(isProtected
        ? {
            401: errorBody(
              "No valid access token, or no valid DPoP proof for it",
              [
                "authorization_header_missing",
                "invalid_header",
                "token_expired",
                "invalid_claims",
                "invalid_dpop_proof",
                "use_dpop_nonce",
              ],
              "WWW-Authenticate",
            ),
            ...(meta.scopes?.length
              ? {
                  403: errorBody(
                    "The access token lacks a required scope",
                    ["Unauthorized"],
                    "WWW-Authenticate",
                  ),
                }
              : {}),
            503: errorBody(
              "The issuer's signing keys could not be fetched, an opaque token could not be introspected, or the DPoP replay store did not answer",
              ["jwks_unavailable", "introspection_unavailable", "dpop_replay_store_unavailable"],
              "Retry-After",
            ),
          }
        : {}),
    },
  };
}

export const restMirrors: FastifyPluginAsync<RestMirrorsOptions> = async (app, options) => {
  const callAt = createProcedureCall(options.router);
  for (const { path, meta } of listProcedures(options.procedures)) {
    if (!meta.rest) continue;
    const { method } = meta.rest;
    const call = callAt(path);
    app.route({
      method,
      url: meta.rest.path,
      schema: routeSchema(path, meta),
      // The schema documents the input; the procedure validates it, after authentication.
      validatorCompiler: () => () => true,
      handler: async (request, reply) => {
        const input = method === "GET" ? nonEmpty(request.query) : request.body;
        const context = options.createContext({ req: request.raw });
        return call(context, input, abortWhenClientLeaves(reply.raw));
      },
    });
  }
};

/** A query string with no parameters is no input at all. */
function nonEmpty(query: unknown): unknown {
  return query && typeof query === "object" && Object.keys(query).length > 0 ? query : undefined;
}

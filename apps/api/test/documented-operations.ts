/**
 * Walks the OpenAPI document's operations the way a client would, for the tests that must hold for
 * every endpoint a user adds: each documented response of each operation is produced for real,
 * with a valid input built from the operation's own schema.
 */
import type { TestIssuer } from "@quickstart/auth/testing";
import type { TRPCRouterRecord } from "@trpc/server";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { FastifyInstance } from "fastify";
import { generate, type JsonSchema } from "json-schema-faker";
import { expect } from "vitest";
import { listProcedures } from "../src/procedures";

/** The example OpenAPI shows for a body or a parameter (@fastify/swagger moves a schema's `examples` there). */
interface Examples {
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
export interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
  parameters?: ({ in: string; name: string; required?: boolean; schema: JsonSchema } & Examples)[];
  requestBody?: { content: { "application/json": { schema: JsonSchema } & Examples } };
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content: { "application/json": { schema: object } } }
  >;
}
export interface OpenApiDocument {
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: { oauth2: { flows: Record<string, { tokenUrl: string; authorizationUrl?: string }> } };
  };
}

/** Every operation of the document, with its method in capitals. */
export function listOperations(document: OpenApiDocument) {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );
}

/** What the document must list for `procedures`: each REST mirror as `METHOD /path`, in order. */
export function listRestRoutes(procedures: TRPCRouterRecord): string[] {
  return listProcedures(procedures).flatMap(({ meta }) =>
    meta.rest ? [`${meta.rest.method} ${meta.rest.path}`] : [],
  );
}

/** What the document must say each mirror needs: no security when public, else its scopes under both schemes. */
export function listRequiredScopes(procedures: TRPCRouterRecord): Record<string, unknown> {
  return Object.fromEntries(
    listProcedures(procedures).flatMap(({ path, meta }) => {
      if (!meta.rest) return [];
      const scopes = meta.scopes && [...meta.scopes];
      return [[path, scopes && [{ oauth2: scopes }, { bearerAuth: scopes }]]];
    }),
  );
}

function exampleOf({ example, examples }: Examples): unknown {
  return example ?? Object.values(examples ?? {})[0]?.value;
}

/**
 * A valid input for the operation, as a JSON body or a query string: the example its document shows,
 * if any (zod's `.meta({ examples: [...] })`, for a rule JSON Schema cannot say, such as a
 * `.refine()`), else a value json-schema-faker builds from its documented schema, seeded so runs repeat.
 */
export async function buildValidInput(operation: Operation): Promise<{ body?: string; query?: string }> {
  const options = { seed: 1, optionalsProbability: 0, useDefaultValue: true };
  const body = operation.requestBody?.content["application/json"];
  if (body) return { body: JSON.stringify(exampleOf(body) ?? (await generate(body.schema, options))) };
  const parameters = operation.parameters?.filter((parameter) => parameter.in === "query") ?? [];
  if (parameters.length === 0) return {};
  const withoutExample = parameters.filter((parameter) => exampleOf(parameter) === undefined);
  const generated = (await generate(
    {
      type: "object",
      properties: Object.fromEntries(withoutExample.map(({ name, schema }) => [name, schema])),
      required: withoutExample.filter(({ required }) => required).map(({ name }) => name),
    },
    options,
  )) as Record<string, unknown>;
  const query = new URLSearchParams();
  for (const parameter of parameters) {
    const value = exampleOf(parameter) ?? generated[parameter.name];
    for (const item of value === undefined ? [] : [value].flat()) query.append(parameter.name, String(item));
  }
  return { query: query.toString() };
}

export interface DocumentedApi {
  document: OpenApiDocument;
  /** The API, trusting `issuer`. */
  app: FastifyInstance;
  issuer: TestIssuer;
  /** The same API trusting `down`, whose key set cannot be fetched (for the 503s). */
  outageApp: FastifyInstance;
  down: TestIssuer;
}

/**
 * Produces every documented response of every operation for real and checks its status, body and
 * headers against the document. 200 gets a valid input and a token with every scope, 400 no input
 * at all, 401 no token, 403 a token without the scopes, 503 an issuer whose keys cannot be fetched.
 * Returns the statuses checked, per operation.
 */
export async function checkEveryDocumentedResponse({
  document,
  app,
  issuer,
  outageApp,
  down,
}: DocumentedApi) {
  const ajv = new Ajv2020({ strict: false });
  const authorizationFor: Record<string, () => Promise<string | undefined>> = {
    200: async () => `Bearer ${await issuer.sign()}`,
    400: async () => `Bearer ${await issuer.sign()}`,
    401: async () => undefined,
    403: async () => `Bearer ${await issuer.sign({ scope: "openid" })}`,
    503: async () => `Bearer ${await down.sign()}`,
  };
  down.failing = true;
  const checked: Record<string, string[]> = {};
  try {
    for (const { path, method, operation } of listOperations(document)) {
      const valid = await buildValidInput(operation);
      const statuses: string[] = [];
      checked[operation.operationId] = statuses;
      for (const [status, documented] of Object.entries(operation.responses)) {
        const makeAuthorization = authorizationFor[status];
        if (!makeAuthorization) throw new Error(`no request produces ${status} for ${path}`);
        const authorization = await makeAuthorization();
        const input = status === "400" ? {} : valid;
        const response = await (status === "503" ? outageApp : app).inject({
          method: method as "GET",
          url: input.query ? `${path}?${input.query}` : path,
          headers: {
            ...(authorization ? { authorization } : {}),
            ...(input.body ? { "content-type": "application/json" } : {}),
          },
          ...(input.body ? { payload: input.body } : {}),
        });
        expect(response.statusCode, `${method} ${path} ${JSON.stringify(input)}: ${response.body}`).toBe(
          Number(status),
        );
        const validate = ajv.compile(documented.content["application/json"].schema);
        expect(
          validate(response.json()),
          `${method} ${path} ${status}: ${ajv.errorsText(validate.errors)}`,
        ).toBe(true);
        for (const header of Object.keys(documented.headers ?? {}))
          expect(String(response.headers[header.toLowerCase()] ?? ""), `${header} on ${status}`).not.toBe("");
        statuses.push(status);
      }
    }
  } finally {
    down.failing = false;
  }
  return checked;
}

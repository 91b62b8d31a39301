/**
 * What the REST mirrors and the MCP tools share: walking the app's procedures with their meta, their
 * zod schemas as JSON Schema, and calling one through tRPC's server-side caller, so that every
 * transport runs the same procedure chain (authentication, scopes, input validation, logic).
 */
import type { IncomingMessage } from "node:http";
import type { AnyTRPCProcedure, AnyTRPCRouter, TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { type ContextInner, createCallerFactory, type Meta } from "./trpc";

/** What a transport (the REST mirrors, the MCP endpoint) needs to serve the app's procedures. */
export interface ProceduresOptions {
  /** The record given to `router()`; walked for the procedures whose meta opts in to the transport. */
  procedures: TRPCRouterRecord;
  /** The router built from it, called through `createCallerFactory`. */
  router: AnyTRPCRouter;
  createContext: (options: { req: IncomingMessage }) => ContextInner;
}

/** Each procedure of a record (plain nested objects) with its dotted path. */
export function listProcedures(record: TRPCRouterRecord, prefix = ""): { path: string; meta: Meta }[] {
  return Object.entries(record).flatMap(([key, value]) =>
    // tRPC's own test for a procedure: procedures are functions, nested records plain objects.
    typeof value === "function"
      ? [{ path: prefix + key, meta: ((value as AnyTRPCProcedure).meta ?? {}) as Meta }]
      : listProcedures(value, `${prefix}${key}.`),
  );
}

/** A zod schema as the JSON Schema (2020-12, as OpenAPI 3.1 and MCP use) of what it accepts or returns. */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _, ...jsonSchema } = z.toJSONSchema(schema, { io });
  return jsonSchema;
}

/** Calls one procedure with a request's context; rejects as the procedure does. */
export type ProcedureCall = (context: ContextInner, input: unknown, signal?: AbortSignal) => Promise<unknown>;

/**
 * For `router`: the {@link ProcedureCall} of the procedure at a dotted path, through tRPC's
 * server-side caller. Made once per route or tool, so the path is split once, not per request.
 */
export function createProcedureCall(router: AnyTRPCRouter): (path: string) => ProcedureCall {
  const createCaller = createCallerFactory(router);
  return (path) => {
    const keys = path.split(".");
    return (context, input, signal) => {
      const caller = createCaller(context, { signal });
      const procedure = keys.reduce<unknown>(
        (node, key) => (node as Record<string, unknown>)[key],
        caller,
      ) as (input: unknown) => Promise<unknown>;
      return procedure(input);
    };
  };
}

/**
 * A signal that aborts when the client goes away before the answer is sent. Not Fastify's
 * `request.signal`, which also aborts once a POST body has been read.
 */
export function abortWhenClientLeaves(response: {
  on(event: "close", listener: () => void): unknown;
  readonly writableFinished: boolean;
}): AbortSignal {
  const aborted = new AbortController();
  // `on`, not `once`: a response closes once, and `once` would wrap the listener and remove it on
  // every request.
  response.on("close", () => {
    if (!response.writableFinished) aborted.abort();
  });
  return aborted.signal;
}

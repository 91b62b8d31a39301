/**
 * The API's endpoints. To add one, paste a procedure like this into `appProcedures` below (the
 * README's "Add an endpoint" shows the same text, and test/readme-example.test.ts keeps both
 * compiling, formatted and passing the API's tests), then stop and rerun `npm start` (`pnpm dev`
 * reloads by itself):
 *
 * ```ts
 * greet: endpoint(scopedProcedure("read:messages"), {
 *   // One line for the OpenAPI operation and the docs page.
 *   summary: "Greets someone",
 *   // Optional: also serve it as REST (a POST takes a JSON body, a GET the query string).
 *   rest: { method: "POST", path: "/api/greet" },
 *   // Optional: also an MCP tool for AI agents at /mcp (the scopes it needs are added to this).
 *   mcp: { description: "Greets someone by name." },
 *   // Validated on tRPC, REST and MCP alike, after the token and its scopes are checked.
 *   input: z.object({ name: z.string().min(1) }),
 *   output: z.object({ message: z.string() }),
 * }).mutation(({ input, ctx }) => ({ message: `Hello ${input.name}, from ${ctx.token.claims.sub}` })),
 * ```
 *
 * That one definition gives the tRPC procedure, the REST route and the MCP tool (auth, scopes and
 * input validation through the same procedure), its OpenAPI operation at /api/openapi.json and its
 * entry on /docs.
 * A new scope goes in scopes.ts first. Group endpoints in plain nested objects, not `router()`s.
 */
import type { inferRouterInputs, inferRouterOutputs, TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { MESSAGES } from "./messages";
import { endpoint, protectedProcedure, publicProcedure, router, scopedProcedure } from "./trpc";

const message = z.object({ message: z.string() });

export const appProcedures = {
  public: endpoint(publicProcedure, {
    summary: "A message anyone can read",
    rest: { method: "GET", path: "/api/public" },
    mcp: { description: "Reads the public message, which any caller may read." },
    output: message,
  }).query(() => ({ message: MESSAGES.public })),
  private: endpoint(protectedProcedure, {
    summary: "A message for any valid access token",
    rest: { method: "GET", path: "/api/private" },
    mcp: { description: "Reads the private message, for any signed-in user." },
    output: message,
  }).query(() => ({ message: MESSAGES.private })),
  privateScoped: endpoint(scopedProcedure("read:messages"), {
    summary: "A message for access tokens granting read:messages",
    rest: { method: "GET", path: "/api/private-scoped" },
    mcp: { description: "Reads the private message reserved for users granted read:messages." },
    output: message,
  }).query(() => ({ message: MESSAGES.privateScoped })),
} satisfies TRPCRouterRecord;

export const appRouter = router(appProcedures);

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

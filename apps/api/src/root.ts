/**
 * The API's endpoints. To add one, add one procedure to `appProcedures`:
 *
 *   greet: endpoint(scopedProcedure("read:messages"), {
 *     summary: "Greets someone",                      // OpenAPI summary and docs
 *     rest: { method: "POST", path: "/api/greet" },    // optional: also serve it as REST
 *     input: z.object({ name: z.string() }),           // validated on tRPC and REST alike
 *     output: z.object({ message: z.string() }),
 *   }).mutation(({ input }) => ({ message: `Hello ${input.name}` })),
 *
 * That one definition gives the tRPC procedure, the REST route (auth, scopes and input validation
 * through the same procedure), its OpenAPI operation at /api/openapi.json and its entry on /docs.
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

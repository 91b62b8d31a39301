/**
 * The procedures test/add-endpoint.test.ts adds, written as a developer would add them to root.ts.
 * They sit beside the app's own under the key `addEndpointTest` and paths under
 * `/api/add-endpoint-test/`, which no user would pick, so a user's endpoint (the README's `greet`,
 * say) never collides with them; test/readme-example.test.ts serves them beside that example.
 */
import { z } from "zod";
import { endpoint, scopedProcedure } from "../src/trpc";

export const addEndpointTestProcedures = {
  greet: endpoint(scopedProcedure("read:messages"), {
    summary: "Greets someone by name",
    rest: { method: "POST", path: "/api/add-endpoint-test/greet" },
    input: z.object({ name: z.string().min(1).max(20), times: z.number().int().min(1).max(3).default(1) }),
    output: z.object({ greeting: z.string() }),
  }).mutation(({ input, ctx }) => ({
    greeting: `${`Hello ${input.name}! `.repeat(input.times).trim()} (from ${ctx.token.claims.sub})`,
  })),
  echo: endpoint(scopedProcedure("read:messages"), {
    summary: "Echoes a word",
    rest: { method: "GET", path: "/api/add-endpoint-test/echo" },
    input: z.object({ word: z.string().regex(/^[a-z]+$/) }),
    output: z.object({ word: z.string() }),
  }).query(({ input }) => ({ word: input.word })),
  sevens: endpoint(scopedProcedure("read:messages"), {
    summary: "Takes a multiple of seven, a rule only an example shows a client",
    rest: { method: "POST", path: "/api/add-endpoint-test/sevens" },
    input: z
      .object({ n: z.number().refine((n) => n % 7 === 0, "not a multiple of 7") })
      .meta({ examples: [{ n: 14 }] }),
    output: z.object({ n: z.number() }),
  }).mutation(({ input }) => ({ n: input.n })),
};

import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { MESSAGES, READ_MESSAGES } from "./messages";
import { protectedProcedure, publicProcedure, router, scopedProcedure } from "./trpc";

/** The quickstart's three endpoints as tRPC queries. */
export const appRouter = router({
  public: publicProcedure.query(() => ({ message: MESSAGES.public })),
  private: protectedProcedure.query(() => ({ message: MESSAGES.private })),
  privateScoped: scopedProcedure(READ_MESSAGES).query(() => ({ message: MESSAGES.privateScoped })),
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

import type { AppRouter } from "@quickstart/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/**
 * The typed client. `httpLink`, not `httpBatchLink`: a batch mixing successes and failures is
 * answered with one 207, and each call here must show its own HTTP status.
 */
export function createTrpcClient(apiUrl: string, apiFetch: typeof fetch) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${apiUrl}/trpc`,
        // Adds the current token per request (a renewed one at once) and, for DPoP, a proof.
        fetch: apiFetch,
      }),
    ],
  });
}

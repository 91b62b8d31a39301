import type { AppRouter } from "@quickstart/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

/**
 * The typed client. `httpLink`, not `httpBatchLink`: a batch mixing successes and failures is
 * answered with one 207, and each call here must show its own HTTP status.
 */
export function createTrpcClient(apiUrl: string, getAccessToken: () => Promise<string | undefined>) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${apiUrl}/trpc`,
        // Read per request, so a renewed token is used at once; no token, no header.
        async headers() {
          const token = await getAccessToken();
          return token ? { Authorization: `Bearer ${token}` } : {};
        },
      }),
    ],
  });
}

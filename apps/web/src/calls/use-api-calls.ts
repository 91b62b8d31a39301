import { useQueries } from "@tanstack/react-query";
import { useAuth } from "../auth/auth-provider";
import { useConfig } from "../config";
import { type CallOutcome, outcomeFromTrpcData, outcomeFromTrpcError } from "./call-outcome";
import { callRest } from "./rest-client";
import { useTRPC } from "./trpc";

/** The quickstart's three endpoints; each is called over tRPC and over its REST mirror. */
export const ENDPOINTS = [
  { name: "public", procedure: "public", restPath: "/api/public", requires: "Nothing: no token needed." },
  { name: "private", procedure: "private", restPath: "/api/private", requires: "A valid access token." },
  {
    name: "private-scoped",
    procedure: "privateScoped",
    restPath: "/api/private-scoped",
    requires: "A valid access token with the read:messages scope.",
  },
] as const;

export type Endpoint = (typeof ENDPOINTS)[number];

export interface ApiCall {
  /** Stable id, also the test id suffix: `trpc-private-scoped`, `rest-public`. */
  id: string;
  transport: "trpc" | "rest";
  endpoint: Endpoint;
  /** What is called, as code: `trpc.privateScoped.query()`, `GET /api/private-scoped`. */
  target: string;
  outcome: CallOutcome | undefined;
  running: boolean;
  run: () => Promise<unknown>;
}

/**
 * The six calls: tRPC through the typed TanStack Query integration, REST through fetch. The
 * QueryClient's defaults (main.tsx) disable them: each runs only when its `run` is called.
 */
export function useApiCalls(): ApiCall[] {
  const trpc = useTRPC();
  const { apiFetch } = useAuth();
  const config = useConfig();

  const trpcOptions = {
    public: trpc.public.queryOptions(),
    private: trpc.private.queryOptions(),
    privateScoped: trpc.privateScoped.queryOptions(),
  };
  const trpcQueries = useQueries({ queries: ENDPOINTS.map((endpoint) => trpcOptions[endpoint.procedure]) });
  const restQueries = useQueries({
    queries: ENDPOINTS.map((endpoint) => ({
      queryKey: ["rest", endpoint.restPath],
      queryFn: () => callRest(config.apiUrl, endpoint.restPath, apiFetch),
    })),
  });

  return ENDPOINTS.flatMap((endpoint, index): ApiCall[] => {
    const trpcQuery = trpcQueries[index];
    const restQuery = restQueries[index];
    if (!trpcQuery || !restQuery) return [];
    return [
      {
        id: `trpc-${endpoint.name}`,
        transport: "trpc",
        endpoint,
        target: `trpc.${endpoint.procedure}.query()`,
        outcome:
          trpcQuery.status === "error"
            ? outcomeFromTrpcError(trpcQuery.error, config.apiUrl)
            : trpcQuery.data && outcomeFromTrpcData(trpcQuery.data),
        running: trpcQuery.fetchStatus === "fetching",
        run: () => trpcQuery.refetch(),
      },
      {
        id: `rest-${endpoint.name}`,
        transport: "rest",
        endpoint,
        target: `GET ${endpoint.restPath}`,
        outcome: restQuery.data,
        running: restQuery.fetchStatus === "fetching",
        run: () => restQuery.refetch(),
      },
    ];
  });
}

/** What is loaded, one row each, against the same API process. */
export interface HttpScenario {
  id: string;
  label: string;
  path: string;
}

export const HTTP_SCENARIOS = [
  { id: "rest-public", label: "REST GET /api/public", path: "/api/public" },
  { id: "rest-private", label: "REST GET /api/private", path: "/api/private" },
  { id: "rest-private-scoped", label: "REST GET /api/private-scoped", path: "/api/private-scoped" },
  { id: "trpc-public", label: "tRPC public", path: "/trpc/public" },
  { id: "trpc-private", label: "tRPC private", path: "/trpc/private" },
  { id: "trpc-private-scoped", label: "tRPC privateScoped", path: "/trpc/privateScoped" },
  {
    id: "trpc-batch",
    label: "tRPC batch of all three (1 request)",
    // tRPC v11 httpBatchLink's GET format: comma-joined paths, batch=1, inputs keyed by index.
    path: `/trpc/public,private,privateScoped?batch=1&input=${encodeURIComponent("{}")}`,
  },
] as const satisfies readonly HttpScenario[];

export type ScenarioId = (typeof HTTP_SCENARIOS)[number]["id"];

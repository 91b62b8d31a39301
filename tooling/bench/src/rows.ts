/**
 * What `pnpm bench` measures, as data: the servers, the rows loaded over HTTP, the in-process rows
 * and the targets. To add a row, add an entry here (and a server, if it needs one configured its own
 * way); run.ts starts the servers the rows name, checks each row once, then loads them in rounds.
 */
import type { Bench, HttpRow, InProcessRow, ServerSpec, TargetSpec } from "./bench";
import * as micro from "./micro";
import { freePort } from "./servers";

/** What each row runs on. `api` variants are `pnpm start:api` with more environment; see ServerSpec. */
export const servers = {
  api: { api: {} },
  // The same API with Prometheus metrics on (served on a port of their own, never scraped here).
  apiWithMetrics: { api: async () => ({ METRICS_PORT: String(await freePort()) }) },
  // Its twin with metrics off: two processes that served the same requests, so their difference is the metrics'.
  apiWithoutMetrics: { api: {} },
  peer: { script: "peer.ts" },
  floor: { script: "floor.ts" },
} satisfies Record<string, ServerSpec>;

const bearer = (bench: Bench) => ({ authorization: `Bearer ${bench.bearerToken}` });
/** A token bound to the bench's DPoP key, sent with a fresh proof on every request. */
const dpop = (bench: Bench) => ({ authorization: `DPoP ${bench.dpopToken}`, dpopKey: bench.dpopKey });
const trpc = (procedure: keyof Bench["trpcPaths"]) => (bench: Bench) => bench.trpcPaths[procedure];

export const rows: HttpRow<keyof typeof servers>[] = [
  { name: "REST /api/public", server: "api", path: "/api/public" },
  { name: "REST /api/private", server: "api", path: "/api/private", auth: bearer },
  { name: "REST /api/private-scoped", server: "api", path: "/api/private-scoped", auth: bearer },
  { name: "REST private (DPoP)", server: "api", path: "/api/private", auth: dpop },
  { name: "REST private with metrics on", server: "apiWithMetrics", path: "/api/private", auth: bearer },
  { name: "REST private with metrics off", server: "apiWithoutMetrics", path: "/api/private", auth: bearer },
  { name: "tRPC public (httpLink GET)", server: "api", path: trpc("public") },
  { name: "tRPC private (httpLink GET)", server: "api", path: trpc("private"), auth: bearer },
  { name: "tRPC privateScoped (httpLink GET)", server: "api", path: trpc("privateScoped"), auth: bearer },
  // Without a token the batch answers 207: one result per call, two of them 401.
  {
    name: "tRPC batch of all three (httpBatchLink GET)",
    server: "api",
    path: trpc("batch"),
    auth: bearer,
    anonymousStatus: 207,
  },
  // One JSON-RPC request per POST, as a stateless MCP client sends them: a new SDK server and
  // transport each time, the procedure through the server-side caller.
  {
    name: "MCP tools/call privateScoped (POST /mcp)",
    server: "api",
    path: "/mcp",
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "privateScoped" } }),
    auth: bearer,
  },
  { name: "Express peer /api/public", server: "peer", path: "/api/public" },
  { name: "Express peer /api/private", server: "peer", path: "/api/private", auth: bearer },
  { name: "Express peer /api/private-scoped", server: "peer", path: "/api/private-scoped", auth: bearer },
  // The peer keeps no jti store: it accepts a proof sent twice.
  {
    name: "Express peer /api/private (DPoP)",
    server: "peer",
    path: "/api/private",
    auth: dpop,
    replayStatus: 200,
  },
  { name: "Plain Fastify route, no tRPC (floor) /api/public", server: "floor", path: "/api/public" },
];

const PROOF_CHECK =
  "one ES256 DPoP proof verification, key already prepared (packages/auth's proof-key cache)";
const CALLER_PUBLIC = "tRPC `public` through the server-side caller";
const CALLER_PRIVATE = "tRPC `private` through the server-side caller";
/** Each prepared before every round (not timed), then called in it. */
export const inProcessRows: InProcessRow[] = [
  {
    name: "packages/auth verifier, a fresh token each call (signature check)",
    prepare: (c) => micro.verifyFreshTokens(c),
  },
  {
    name: "packages/auth verifier, one issuer among three, a fresh token each call",
    prepare: (c) => micro.verifyFreshTokens(c, ["https://issuer-b.example/", "https://issuer-c.example/"]),
  },
  { name: "packages/auth verifier, one repeated token (cache hit)", prepare: micro.verifyRepeatedToken },
  {
    name: "packages/auth verifier, one repeated opaque token (introspection cache hit)",
    prepare: micro.verifyRepeatedOpaqueToken,
  },
  { name: CALLER_PUBLIC, prepare: (c) => micro.callThroughCaller(c, "public") },
  { name: CALLER_PRIVATE, prepare: (c) => micro.callThroughCaller(c, "private") },
  { name: PROOF_CHECK, prepare: micro.verifyProofSignatures },
];

const target = (name: string, limit: number | undefined, unit: string, value: TargetSpec["value"]) =>
  ({ name, limit, unit, value }) satisfies TargetSpec;
const PUBLIC = "REST /api/public";
const PRIVATE = "REST /api/private";
const DPOP = "REST private (DPoP)";
const METRICS = "REST private with metrics on";
const NO_METRICS = "REST private with metrics off";
/** Met when the value is at most the limit; `undefined`: shown with no limit. */
export const targets: TargetSpec[] = [
  target("REST private − REST public, API CPU/req", 10, "µs", (m) => m.difference(PRIVATE, PUBLIC)),
  target("REST private with metrics on − off (twin processes), API CPU/req", 3, "µs", (m) =>
    m.difference(METRICS, NO_METRICS),
  ),
  target("tRPC private − public through the server-side caller, CPU/call", 8, "µs", (m) =>
    m.difference(CALLER_PRIVATE, CALLER_PUBLIC),
  ),
  target("REST private ÷ Express peer private, CPU/req", 0.4, "×", (m) =>
    m.ratio(PRIVATE, "Express peer /api/private"),
  ),
  target(
    "(REST private (DPoP) − REST private) ÷ one ES256 proof verification",
    1.3,
    "×",
    (m) => m.difference(DPOP, PRIVATE) / m.median(PROOF_CHECK),
  ),
  target("REST private (DPoP) ÷ Express peer private (DPoP), CPU/req", 0.6, "×", (m) =>
    m.ratio(DPOP, "Express peer /api/private (DPoP)"),
  ),
  // No limit: the public path goes through tRPC's server-side caller, the peer's does not (BENCHMARKS.md).
  target("REST public ÷ Express peer public, CPU/req", undefined, "×", (m) =>
    m.ratio(PUBLIC, "Express peer /api/public"),
  ),
  target("Errors, every row", 0, "", (m) => m.total("errors")),
  target("JWKS fetches while measuring, every row", 0, "", (m) => m.total("jwksFetches")),
  target("API peak RSS (VmHWM), every API process", 200, "MB", (m) => m.apiPeakRssMb),
  target("API ready (logged readyInMs, slowest of 3)", 1000, "ms", (m) => Math.max(...m.readyInMs)),
];

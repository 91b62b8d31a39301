/**
 * Prometheus metrics (prom-client): requests and latency by route, auth decisions, the verified-token
 * cache, the issuer's keys, DPoP proofs and the replay store, and Node's process metrics. Served by
 * {@link listenForMetrics} on its own port (METRICS_PORT), never on the API's public one.
 *
 * Labels hold only values from small fixed sets: the route pattern (never the URL), the method, the
 * status class, a refusal code, a configured issuer. Counters on the request path are plain numbers
 * in cells made once per label set, folded into prom-client when Prometheus scrapes, so a request
 * pays an increment rather than prom-client's label hashing.
 */
import type { AuthErrorCode, AuthObserver, KeysStatus, ObservedKeySet } from "@quickstart/auth";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type onResponseHookHandler } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { AuthDecisions } from "./trpc";

/** How a request reached the API: the REST mirrors, tRPC, or MCP. */
export type AuthTransport = "rest" | "trpc" | "mcp";

export interface ApiMetrics {
  /** Everything below, and the process metrics; `registry.metrics()` is the exposition. */
  readonly registry: Registry;
  /** For createAccessTokenVerifier and createRequestAuthenticator (packages/auth's hook). */
  readonly authObserver: AuthObserver;
  /** Counts the authentication decisions of protected calls arriving by `transport`. */
  decisions(transport: AuthTransport): AuthDecisions;
  /** Times every request of `app` by route; call before any route is added. */
  observeRequests(app: FastifyInstance): void;
}

/** Latency buckets in seconds: an answer from memory takes well under a millisecond, a key fetch seconds. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const KEY_STATUSES: readonly KeysStatus[] = ["loaded", "stale", "not_loaded"];
/** By a status code's first digit (an answer's status is 100-599; index 0 is never used). */
const STATUS_CLASSES = ["1xx", "1xx", "2xx", "3xx", "4xx", "5xx"] as const;
/** The route label of a request no route matched (a 404). */
const UNMATCHED_ROUTE = "unmatched";

type Labels<N extends string> = Record<N, string>;
type RequestLabels = Labels<"route" | "method" | "status_class">;

/** What a request increments: a plain number, with the label set it counts under. */
interface Cell<N extends string> {
  readonly labels: Labels<N>;
  count: number;
}

/**
 * A counter whose hot path is `cell.count += 1`: the caller makes a cell once per label set and
 * keeps it; when Prometheus scrapes, the counter is rebuilt from the cells.
 */
function countingCounter<N extends string>(registry: Registry, name: string, help: string, labelNames: N[]) {
  const cells: Cell<N>[] = [];
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, count } of cells) this.inc(labels, count);
    },
  });
  return (labels: Labels<N>): Cell<N> => {
    const cell = { labels, count: 0 };
    cells.push(cell);
    return cell;
  };
}

/**
 * Makes the API's metrics, in a registry of their own (so that several apps in one test process
 * each count their own).
 *
 * @example
 * const metrics = createApiMetrics();
 * const verifier = createAccessTokenVerifier(config, { observer: metrics.authObserver });
 * const app = await buildApp({ verifier, metrics });
 * await listenForMetrics(metrics, { host: "127.0.0.1", port: 9464, logger: app.log });
 */
export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const latency = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time to answer a request, by route pattern, method and status class; its _count counts requests",
    labelNames: ["route", "method", "status_class"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  const makeDecisionCell = countingCounter(
    registry,
    "auth_decisions_total",
    "Authentication decisions of protected calls, by transport, result (allowed, refused) and refusal code",
    ["transport", "result", "code"],
  );

  let cacheHits = 0;
  let cacheMisses = 0;
  let cacheSize: (() => number) | undefined;
  new Counter({
    name: "auth_token_cache_lookups_total",
    help: "Verified-token cache lookups, by result (hit, miss)",
    labelNames: ["result"],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: "hit" }, cacheHits);
      this.inc({ result: "miss" }, cacheMisses);
    },
  });
  new Gauge({
    name: "auth_token_cache_size",
    help: "Tokens held in the verified-token cache",
    registers: [registry],
    collect() {
      this.set(cacheSize?.() ?? 0);
    },
  });

  const keyFetches = new Counter({
    name: "auth_key_fetches_total",
    help: "Requests to the issuer for its discovery document or keys, by issuer and outcome (success, failure)",
    labelNames: ["issuer", "outcome"],
    registers: [registry],
  });
  const keySets = new Map<string, ObservedKeySet>();
  new Gauge({
    name: "auth_keys_age_seconds",
    help: "Age of the issuer's current key set, by issuer (absent until the first one arrives)",
    labelNames: ["issuer"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [issuer, keySet] of keySets) {
        const age = keySet.ageSeconds();
        if (age !== undefined) this.set({ issuer }, age);
      }
    },
  });
  new Gauge({
    name: "auth_keys_max_age_seconds",
    help: "How old the issuer's keys may get before a background refresh (AUTH_JWKS_MAX_AGE_S), by issuer",
    labelNames: ["issuer"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [issuer, keySet] of keySets) this.set({ issuer }, keySet.maxAgeSeconds);
    },
  });
  new Gauge({
    name: "auth_keys_status",
    help: "1 for the issuer's key status (loaded, stale, not_loaded), 0 for the others, by issuer",
    labelNames: ["issuer", "status"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [issuer, keySet] of keySets) {
        const current = keySet.status();
        for (const status of KEY_STATUSES) this.set({ issuer, status }, status === current ? 1 : 0);
      }
    },
  });

  const dpopProofs = new Counter({
    name: "auth_dpop_proofs_total",
    help: "DPoP proofs by outcome (accepted, refused, replayed) and refusal reason",
    labelNames: ["outcome", "reason"],
    registers: [registry],
  });
  const replayStoreErrors = new Counter({
    name: "auth_dpop_replay_store_errors_total",
    help: "Times the DPoP replay store could not answer (each refused with 503)",
    registers: [registry],
  });

  const authObserver: AuthObserver = {
    onKeySet: (issuer, keySet) => keySets.set(issuer, keySet),
    onKeyFetch: (issuer, outcome) => keyFetches.inc({ issuer, outcome }),
    onTokenCache: (hit, size) => {
      if (hit) cacheHits += 1;
      else cacheMisses += 1;
      cacheSize = size;
    },
    onDpopProof: (outcome, reason) =>
      dpopProofs.inc({ outcome, reason: outcome === "refused" ? reason : "" }),
    onReplayStoreError: () => replayStoreErrors.inc(),
  };

  function decisions(transport: AuthTransport): AuthDecisions {
    const allowed = makeDecisionCell({ transport, result: "allowed", code: "" });
    const refused = new Map<AuthErrorCode, Cell<"code">>();
    return {
      allowed: () => {
        allowed.count += 1;
      },
      refused: (code) => {
        let cell = refused.get(code);
        if (cell === undefined) {
          cell = makeDecisionCell({ transport, result: "refused", code });
          refused.set(code, cell);
        }
        cell.count += 1;
      },
    };
  }

  /** One onResponse hook per route, holding that route's label sets: nothing is looked up by URL. */
  function timeRoute(route: string): onResponseHookHandler {
    const byMethod = new Map<string, RequestLabels[]>();
    return (request, reply, done) => {
      let labels = byMethod.get(request.method);
      if (labels === undefined) {
        const method = request.method;
        labels = STATUS_CLASSES.map((statusClass) => ({ route, method, status_class: statusClass }));
        byMethod.set(method, labels);
      }
      const statusClass = Math.min(5, Math.trunc(reply.statusCode / 100));
      latency.observe(labels[statusClass] as RequestLabels, reply.elapsedTime / 1000);
      done();
    };
  }

  function observeRequests(app: FastifyInstance): void {
    app.addHook("onRoute", (route) => {
      const hooks = route.onResponse;
      route.onResponse = [
        ...(hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]),
        timeRoute(route.url),
      ];
    });
    // Requests no route matched have no route hook: they share one label, whatever their URL.
    const unmatched = timeRoute(UNMATCHED_ROUTE);
    app.addHook("onResponse", (request, reply, done) => {
      if (request.is404) unmatched.call(app, request, reply, done);
      else done();
    });
  }

  return { registry, authObserver, decisions, observeRequests };
}

/**
 * Serves `GET /metrics` (Prometheus's text format) on its own listener, apart from the API's
 * public port, so that neither clients nor the load balancer can read it. Resolves once listening.
 */
export async function listenForMetrics(
  metrics: Pick<ApiMetrics, "registry">,
  options: { host: string; port: number; logger: FastifyBaseLogger },
): Promise<FastifyInstance> {
  const server = Fastify({ loggerInstance: options.logger.child({ listener: "metrics" }) });
  // Scrapes come every few seconds: logged only when something goes wrong.
  server.get("/metrics", { logLevel: "warn" }, async (_request, reply) => {
    const exposition = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(exposition);
  });
  await server.listen({ host: options.host, port: options.port });
  return server;
}

/**
 * Prometheus metrics, read as Prometheus reads them: from the metrics listener's `/metrics`, over
 * HTTP, after a known sequence of real requests to a listening API (a real issuer on loopback, real
 * signatures, real DPoP proofs). Each metric must have moved by exactly what the sequence implies.
 */
import { createAccessTokenVerifier, createMemoryReplayStore } from "@quickstart/auth";
import { createDpopKey, startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppOptions, buildApp } from "../src/app";
import { createApiMetrics, listenForMetrics } from "../src/metrics";

const PUBLIC_URL = "https://api.example.test";
/** Must never appear in the exposition, whatever requests carry it. */
const SUBJECT = "subject-7f3a-never-a-label";

interface Api {
  app: FastifyInstance;
  baseUrl: string;
  /** The metrics listener's URL. */
  metricsUrl: string;
}

const toClose: { close(): unknown }[] = [];
let issuer: TestIssuer;

/**
 * A listening API with metrics on, and its metrics listener, both on loopback ports of their own,
 * accepting the tokens of `testIssuers`.
 */
async function startApi(
  testIssuers: TestIssuer | TestIssuer[],
  options: Partial<AppOptions> = {},
): Promise<Api> {
  const metrics = createApiMetrics();
  const trusted = [testIssuers].flat();
  const verifier = createAccessTokenVerifier(
    {
      issuer: trusted.map((trustedIssuer) => trustedIssuer.issuer),
      audience: issuer.audience,
      fetchCooldownMs: 0,
    },
    { observer: metrics.authObserver },
  );
  const app = await buildApp({ verifier, metrics, publicUrl: PUBLIC_URL, ...options });
  toClose.unshift(app, verifier);
  const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  const metricsServer = await listenForMetrics(metrics, { host: "127.0.0.1", port: 0, logger: app.log });
  toClose.unshift(metricsServer);
  const port = (metricsServer.server.address() as { port: number }).port;
  return { app, baseUrl, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus's text format, one sample per line (comments skipped). */
function parseExposition(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => [name, value]),
      );
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** Scrapes `api` and sums the samples of `name` whose labels include `labels`, as PromQL's `sum` would. */
async function scrape(api: Api) {
  const response = await fetch(api.metricsUrl);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  const text = await response.text();
  const samples = parseExposition(text);
  return {
    text,
    samples,
    value(name: string, labels: Record<string, string> = {}): number | undefined {
      const matching = samples.filter(
        (sample) =>
          sample.name === name &&
          Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
      );
      return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
    },
  };
}

const get = (api: Api, path: string, headers: Record<string, string> = {}) =>
  fetch(`${api.baseUrl}${path}`, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  for (const closable of toClose) await closable.close();
  await issuer?.close();
});

describe("MCP's decisions, counted with transport mcp", () => {
  it("counts the tool calls' decisions, and the requests refused before any tool runs", async () => {
    const api = await startApi(issuer);
    const alice = await issuer.sign({ sub: SUBJECT, scope: "read:messages" });
    const bob = await issuer.sign({ sub: "bob", scope: "" });
    const post = (body: object, headers: Record<string, string> = {}) =>
      fetch(`${api.baseUrl}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, ...body }),
      }).then((response) => response.status);
    const call = (name: string) => ({ method: "tools/call", params: { name } });
    // 2 tool calls allowed, 1 refused by the procedure (403), 1 refused at the door (401); the list
    // and the public tool make no decision.
    expect(await post(call("privateScoped"), bearer(alice))).toBe(200);
    expect(await post(call("private"), bearer(alice))).toBe(200);
    expect(await post(call("privateScoped"), bearer(bob))).toBe(403);
    expect(await post({ method: "tools/list" })).toBe(401);
    expect(await post({ method: "tools/list" }, bearer(alice))).toBe(200);
    expect(await post(call("public"), bearer(alice))).toBe(200);

    const { value } = await scrape(api);
    const decisions = (labels: Record<string, string>) => value("auth_decisions_total", labels);
    expect(decisions({ transport: "mcp", result: "allowed" })).toBe(2);
    expect(decisions({ transport: "mcp", result: "refused", code: "Unauthorized" })).toBe(1);
    expect(decisions({ transport: "mcp", result: "refused", code: "authorization_header_missing" })).toBe(1);
    expect(decisions({ transport: "mcp" })).toBe(4);
    expect(decisions({ transport: "rest" }) ?? 0).toBe(0);
  });
});

describe("metrics for a known sequence of requests", () => {
  let api: Api;
  let alice: string;

  beforeAll(async () => {
    api = await startApi(issuer);
    const now = Math.floor(Date.now() / 1000);
    alice = await issuer.sign({ sub: SUBJECT, scope: "read:messages" });
    const bob = await issuer.sign({ sub: "bob", scope: "" });
    const expired = await issuer.sign({ sub: SUBJECT, iat: now - 7200, exp: now - 3600 });

    // Over REST: 3 allowed, 2 refused. Cache: miss, hit, hit, (no token), miss.
    expect((await get(api, "/api/private", bearer(alice))).status).toBe(200);
    expect((await get(api, "/api/private", bearer(alice))).status).toBe(200);
    expect((await get(api, "/api/private-scoped", bearer(alice))).status).toBe(200);
    expect((await get(api, "/api/private")).status).toBe(401);
    expect((await get(api, "/api/private", bearer(expired))).status).toBe(401);
    // Over tRPC: 2 allowed, 1 refused (403). Cache: hit, hit, miss.
    expect((await get(api, "/trpc/private", bearer(alice))).status).toBe(200);
    expect((await get(api, "/trpc/privateScoped", bearer(alice))).status).toBe(200);
    expect((await get(api, "/trpc/privateScoped", bearer(bob))).status).toBe(403);
    // Public calls make no decision.
    expect((await get(api, "/api/public")).status).toBe(200);
  });

  it("counts 5 allowed and 3 refused decisions by transport and code", async () => {
    const { value } = await scrape(api);
    const decisions = (labels: Record<string, string>) => value("auth_decisions_total", labels);
    expect(decisions({ transport: "rest", result: "allowed" })).toBe(3);
    expect(decisions({ transport: "trpc", result: "allowed" })).toBe(2);
    expect(decisions({ result: "allowed", code: "" })).toBe(5);
    expect(decisions({ transport: "rest", result: "refused", code: "authorization_header_missing" })).toBe(1);
    expect(decisions({ transport: "rest", result: "refused", code: "token_expired" })).toBe(1);
    expect(decisions({ transport: "trpc", result: "refused", code: "Unauthorized" })).toBe(1);
    expect(decisions({ result: "refused" })).toBe(3);
  });

  it("times requests by route pattern, method and status class", async () => {
    const { value } = await scrape(api);
    const count = (route: string, statusClass: string) =>
      value("http_request_duration_seconds_count", { route, method: "GET", status_class: statusClass });
    expect(count("/api/private", "2xx")).toBe(2);
    expect(count("/api/private", "4xx")).toBe(2);
    expect(count("/api/private-scoped", "2xx")).toBe(1);
    expect(count("/trpc/:path", "2xx")).toBe(2);
    expect(count("/trpc/:path", "4xx")).toBe(1);
    expect(count("/api/public", "2xx")).toBe(1);
    // Every request lands in the +Inf bucket, and took some time.
    expect(
      value("http_request_duration_seconds_bucket", {
        route: "/api/private",
        status_class: "2xx",
        le: "+Inf",
      }),
    ).toBe(2);
    expect(value("http_request_duration_seconds_sum", { route: "/api/private" })).toBeGreaterThan(0);
  });

  it("counts verified-token cache hits and misses, and its size", async () => {
    const { value } = await scrape(api);
    expect(value("auth_token_cache_lookups_total", { result: "hit" })).toBe(4);
    expect(value("auth_token_cache_lookups_total", { result: "miss" })).toBe(3);
    // alice's and bob's tokens; the expired one was never stored.
    expect(value("auth_token_cache_size")).toBe(2);
  });

  it("reports the issuer's key fetches, key status and key age", async () => {
    const { value } = await scrape(api);
    const byIssuer = { issuer: issuer.issuer };
    // Discovery, then the key set.
    expect(value("auth_key_fetches_total", { ...byIssuer, outcome: "success" })).toBe(2);
    expect(value("auth_key_fetches_total", { ...byIssuer, outcome: "failure" })).toBeUndefined();
    expect(value("auth_keys_status", { ...byIssuer, status: "loaded" })).toBe(1);
    expect(value("auth_keys_status", { ...byIssuer, status: "stale" })).toBe(0);
    expect(value("auth_keys_status", { ...byIssuer, status: "not_loaded" })).toBe(0);
    expect(value("auth_keys_max_age_seconds", byIssuer)).toBe(600);
    expect(value("auth_keys_age_seconds", byIssuer)).toBeGreaterThanOrEqual(0);
  });

  it("publishes Node's process metrics", async () => {
    const { value } = await scrape(api);
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
    ]) {
      expect(value(name), name).toBeGreaterThanOrEqual(0);
    }
  });

  it("counts a key refresh: a rotated key is fetched once, and the key age starts again", async () => {
    // Let the current keys age a little, so that a new key set is visibly younger.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await scrape(api);
    const byIssuer = { issuer: issuer.issuer };
    expect(before.value("auth_keys_age_seconds", byIssuer)).toBeGreaterThanOrEqual(0.3);

    await issuer.rotate();
    const rotated = await issuer.sign({ sub: SUBJECT });
    expect((await get(api, "/api/private", bearer(rotated))).status).toBe(200);

    const after = await scrape(api);
    expect(after.value("auth_key_fetches_total", { ...byIssuer, outcome: "success" })).toBe(3);
    expect(after.value("auth_keys_age_seconds", byIssuer)).toBeLessThan(0.3);
    expect(after.value("auth_decisions_total", { transport: "rest", result: "allowed" })).toBe(4);
  });

  it("counts an accepted DPoP proof, a replayed one apart, and a refused one by reason", async () => {
    const key = await createDpopKey("ES256");
    const token = await issuer.sign({ sub: SUBJECT, cnf: { jkt: key.thumbprint } });
    const htu = `${PUBLIC_URL}/api/private`;
    const dpop = (proof: string) => ({ authorization: `DPoP ${token}`, dpop: proof });
    const proof = await key.proof({ htm: "GET", htu, accessToken: token });
    expect((await get(api, "/api/private", dpop(proof))).status).toBe(200);
    expect((await get(api, "/api/private", dpop(proof))).status).toBe(401);
    const wrongMethod = await key.proof({ htm: "POST", htu, accessToken: token });
    expect((await get(api, "/api/private", dpop(wrongMethod))).status).toBe(401);

    const { value } = await scrape(api);
    expect(value("auth_dpop_proofs_total", { outcome: "accepted" })).toBe(1);
    expect(value("auth_dpop_proofs_total", { outcome: "replayed" })).toBe(1);
    expect(value("auth_dpop_proofs_total", { outcome: "refused" })).toBe(1);
    expect(value("auth_dpop_proofs_total", { outcome: "refused", reason: "htm" })).toBe(1);
    expect(value("auth_decisions_total", { result: "refused", code: "invalid_dpop_proof" })).toBe(2);
    expect(value("auth_dpop_replay_store_errors_total")).toBe(0);
  });

  it("never puts a token, a subject or a raw URL with its query string in a label", async () => {
    const query = `?access_token=${alice}&sub=${SUBJECT}`;
    expect((await get(api, `/api/private${query}`, bearer(alice))).status).toBe(200);
    expect((await get(api, `/api/${alice}${query}`)).status).toBe(404);
    expect((await get(api, `/trpc/${alice}${query}`, bearer(alice))).status).toBe(404);
    expect((await get(api, `/${SUBJECT}`)).status).toBe(404);

    const { text, samples, value } = await scrape(api);
    expect(text).not.toContain(SUBJECT);
    // Not the token, nor any part of its signature.
    expect(text).not.toContain(alice.split(".")[2]?.slice(0, 16));
    expect(text).not.toContain("access_token");
    for (const sample of samples) {
      for (const [name, labelValue] of Object.entries(sample.labels)) {
        expect(labelValue, `${sample.name}{${name}}`).not.toMatch(/[?&=]|eyJ/);
        expect(labelValue.length, `${sample.name}{${name}}`).toBeLessThan(100);
      }
    }
    // The query-string request counted under its route; the unknown paths under one label.
    expect(value("http_request_duration_seconds_count", { route: "/api/private", status_class: "2xx" })).toBe(
      5,
    );
    expect(value("http_request_duration_seconds_count", { route: "unmatched", status_class: "4xx" })).toBe(2);
  });

  it("is not served on the API's public port", async () => {
    expect((await get(api, "/metrics")).status).toBe(404);
    expect((await fetch(api.metricsUrl.replace("/metrics", "/"))).status).toBe(404);
  });
});

describe("metrics with several issuers", () => {
  it("counts key fetches and reports key status and age for each issuer apart", async () => {
    const [first, second] = [await startTestIssuer(), await startTestIssuer()];
    toClose.push(first, second);
    const api = await startApi([first, second]);
    expect((await get(api, "/api/private", bearer(await first.sign()))).status).toBe(200);
    second.failing = true;
    expect((await get(api, "/api/private", bearer(await second.sign()))).status).toBe(503);

    const { value } = await scrape(api);
    expect(value("auth_key_fetches_total", { issuer: first.issuer, outcome: "success" })).toBe(2);
    expect(value("auth_key_fetches_total", { issuer: first.issuer, outcome: "failure" })).toBeUndefined();
    expect(value("auth_key_fetches_total", { issuer: second.issuer, outcome: "failure" })).toBe(1);
    expect(value("auth_keys_status", { issuer: first.issuer, status: "loaded" })).toBe(1);
    expect(value("auth_keys_status", { issuer: second.issuer, status: "not_loaded" })).toBe(1);
    expect(value("auth_keys_age_seconds", { issuer: first.issuer })).toBeGreaterThanOrEqual(0);
    expect(value("auth_keys_age_seconds", { issuer: second.issuer })).toBeUndefined();
  });
});

describe("metrics when things go wrong", () => {
  it("counts replay-store errors, failed key fetches and the refusals they cause", async () => {
    const other = await startTestIssuer();
    toClose.push(other);
    // A replay store that can remember nothing: every DPoP request finds it "full".
    const api = await startApi(other, { dpop: { replayStore: createMemoryReplayStore({ maxEntries: 0 }) } });
    const key = await createDpopKey("ES256");
    const token = await other.sign({ cnf: { jkt: key.thumbprint } });
    const proof = await key.proof({ htm: "GET", htu: `${PUBLIC_URL}/api/private`, accessToken: token });
    const response = await get(api, "/api/private", { authorization: `DPoP ${token}`, dpop: proof });
    expect(response.status).toBe(503);

    // The issuer fails while the API looks for a new key.
    other.failing = true;
    await other.rotate();
    const rotated = await other.sign();
    expect((await get(api, "/trpc/private", bearer(rotated))).status).toBe(503);

    const { value } = await scrape(api);
    expect(value("auth_dpop_replay_store_errors_total")).toBe(1);
    expect(value("auth_dpop_proofs_total")).toBeUndefined();
    expect(value("auth_key_fetches_total", { issuer: other.issuer, outcome: "failure" })).toBe(1);
    expect(value("auth_decisions_total", { transport: "rest", code: "dpop_replay_store_unavailable" })).toBe(
      1,
    );
    expect(value("auth_decisions_total", { transport: "trpc", code: "jwks_unavailable" })).toBe(1);
    // The keys fetched before the failure are still in use.
    expect(value("auth_keys_status", { issuer: other.issuer, status: "loaded" })).toBe(1);
  });
});

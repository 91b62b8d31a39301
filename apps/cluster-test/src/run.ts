/**
 * `pnpm test:cluster`: the deployment of deploy/compose.yaml, outside containers. The embedded
 * issuer, three replicas of the built API started as apps/api/Dockerfile starts them, and Debian's
 * nginx with deploy/nginx's template rendered for their loopback ports. Then the checks of issue 12:
 * spread, throughput with one and three replicas, kill -9 and a rolling restart under load, key
 * rotation and revocation; and issue 18's MCP tool calls, spread with no session affinity. Prints a
 * table; exits 1 if a check failed; stops everything it started.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { MESSAGES } from "@quickstart/api";
import { createDpopKey, startTestRedis } from "@quickstart/auth/testing";
import { AUDIENCE, ClusterIssuer, kidOf } from "./issuer";
import { type LoadResult, startLoad } from "./load";
import { callToolRepeatedly } from "./mcp-agent";
import { startLoadBalancer } from "./nginx";
import { killAll } from "./processes";
import { type RunningPrometheus, startPrometheus } from "./prometheus";
import { Replica, readContainerSpec, readStartScript } from "./replicas";
import { timeUntil } from "./wait";
import { sourceWebConfig, startWebServer } from "./web";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const apiDir = join(repoRoot, "apps/api");
const REPLICAS = 3;
const CONNECTIONS = 50;
const SPREAD_REQUESTS = 3000;
const MCP_TOOL_CALLS = 30;
const THROUGHPUT_ROUNDS = 4;
const THROUGHPUT_ROUND_SECONDS = 3;
/** The issue's bound for a revoked key, with AUTH_JWKS_MAX_AGE_S=2. */
const REVOCATION_BOUND_MS = 5000;
const BUDGET_MS = 175_000;
/** Prometheus scrapes the replicas this often, so the counts are in within a second or two of the load. */
const SCRAPE_INTERVAL_S = 1;

interface Row {
  check: string;
  passed: boolean;
  detail: string;
}
const rows: Row[] = [];
const throughput: Record<string, number> = {};

function record(check: string, passed: boolean, detail: string): void {
  rows.push({ check, passed, detail });
  console.log(`${passed ? "pass" : "FAIL"}  ${check}: ${detail}`);
}

/**
 * Ports nothing listens on, below the kernel's ephemeral range: a replica restarts on its port, and
 * one in that range could meanwhile be the local end of an outgoing connection (nginx's, autocannon's).
 */
async function freePorts(count: number): Promise<number[]> {
  const range = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "32768");
  const ephemeralLow = Number(range.trim().split(/\s+/)[0]) || 32768;
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 10_000 + Math.floor(Math.random() * (ephemeralLow - 10_000));
    if (!ports.has(port) && (await canListen(port))) ports.add(port);
  }
  return [...ports];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Math.round(
    sorted.length % 2
      ? (sorted[Math.floor(middle)] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2,
  );
};

const statusOf = async (url: string, token: string) => {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await response.body?.cancel();
  return response.status;
};

const loadSummary = (result: LoadResult) =>
  `${result["2xx"]} × 2xx, ${result.non2xx} non-2xx, ${result.socketErrors.length} socket errors${
    result.socketErrors.length ? ` (${[...new Set(result.socketErrors)].join("; ")})` : ""
  }`;
/** Every answer 2xx, no socket error. */
const clean = (result: LoadResult) =>
  result["2xx"] > 0 && result.non2xx === 0 && result.socketErrors.length === 0;

async function main(workDir: string): Promise<void> {
  if (!existsSync(join(apiDir, "dist/server.js"))) {
    throw new Error("apps/api/dist/server.js is missing: run pnpm build (turbo does it for test:cluster)");
  }
  const spec = readContainerSpec(join(apiDir, "Dockerfile"));
  const startScript = readStartScript(apiDir);
  record(
    "image runs pnpm start:api",
    JSON.stringify(spec.command) === JSON.stringify(startScript),
    `CMD ${spec.command.join(" ")}; ENV ${Object.entries(spec.env)
      .map(([name, value]) => `${name}=${value}`)
      .join(" ")}`,
  );

  const issuer = new ClusterIssuer(join(workDir, "issuer"));
  await issuer.start();
  // The replicas' shared DPoP replay store, as compose's redis service.
  const redis = await startTestRedis();
  try {
    await runChecks(workDir, issuer, spec, redis.url);
  } finally {
    await redis.stop();
    await issuer.stop();
  }
}

async function runChecks(
  workDir: string,
  issuer: ClusterIssuer,
  spec: ReturnType<typeof readContainerSpec>,
  redisUrl: string,
) {
  const [lbPort = 0, singleLbPort = 0, webPort = 0, prometheusPort = 0, ...ports] = await freePorts(
    4 + 2 * REPLICAS,
  );
  const apiPorts = ports.slice(0, REPLICAS);
  const metricsPorts = ports.slice(REPLICAS);
  await mkdir(join(workDir, "logs"), { recursive: true });
  const replicas = apiPorts.map(
    (port, index) =>
      new Replica(`api-${index + 1}`, port, {
        apiDir,
        spec,
        env: {
          AUTH_ISSUER: issuer.url,
          API_AUDIENCE: AUDIENCE,
          AUTH_JWKS_MAX_AGE_S: "2",
          LOG_LEVEL: "info",
          // As compose sets them: proofs name the load balancer's URL, and used ones go to Redis.
          API_PUBLIC_URL: `http://127.0.0.1:${lbPort}`,
          REDIS_URL: redisUrl,
          // As compose sets it: metrics on a port of their own, scraped by Prometheus, not behind nginx.
          METRICS_PORT: String(metricsPorts[index]),
          // Empty counts as unset, and keeps a developer's root .env from filling these in.
          AUTHOK_DOMAIN: "",
          AUTH_JWKS_URI: "",
        },
        logFile: join(workDir, "logs", `api-${index + 1}.log`),
      }),
  );
  await Promise.all(replicas.map((replica) => replica.start()));
  // After the replicas, so that its start-up does not compete with theirs on a busy machine.
  const prometheus = await startPrometheus({
    dir: join(workDir, "prometheus"),
    port: prometheusPort,
    targets: replicas.map((replica, index) => ({
      replica: replica.name,
      address: `127.0.0.1:${metricsPorts[index]}`,
    })),
    scrapeIntervalS: SCRAPE_INTERVAL_S,
  });
  const lb = await startLoadBalancer({
    name: "nginx",
    repoRoot,
    dir: join(workDir, "nginx"),
    port: lbPort,
    apiPorts,
  });
  const token = await issuer.token();
  const authorization = `Bearer ${token}`;
  const privateUrl = `${lb.url}/api/private`;
  /** Valid-token load on `url` for `duration` seconds, with the checks' number of connections. */
  const loadFor = (url: string, duration: number) =>
    startLoad({ url, connections: CONNECTIONS, duration, headers: { authorization } });

  // 1. Every replica serves a share, and nginx's X-Request-Id is each replica's request id.
  let requestNumber = 0;
  const spread = await startLoad({
    url: privateUrl,
    connections: CONNECTIONS,
    amount: SPREAD_REQUESTS,
    headers: { authorization },
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, "x-request-id": `share-${++requestNumber}` },
        }),
      },
    ],
  }).result;
  const shares = await Promise.all(replicas.map((replica) => replica.countCompleted("share-")));
  const logged = shares.reduce((sum, share) => sum + share, 0);
  record(
    `${SPREAD_REQUESTS} valid-token requests through nginx`,
    clean(spread) &&
      spread["2xx"] === SPREAD_REQUESTS &&
      logged === SPREAD_REQUESTS &&
      shares.every((share) => share > 0),
    `${loadSummary(spread)}; replicas logged ${shares.join(" / ")} under nginx's request ids (${logged} in all)`,
  );
  await checkDecisionsInPrometheus(prometheus, replicas, shares, lb.url);

  // MCP: an SDK client's stateless requests spread over the replicas, with no session affinity.
  {
    const { requests, results } = await callToolRepeatedly({
      mcpUrl: `${lb.url}/mcp`,
      authorization,
      tool: "privateScoped",
      calls: MCP_TOOL_CALLS,
      requestIdPrefix: "mcp-",
    });
    const expected = JSON.stringify({ message: MESSAGES.privateScoped });
    const answered = results.filter((result) => JSON.stringify(result) === expected).length;
    const shares = await Promise.all(replicas.map((replica) => replica.countCompleted("mcp-")));
    const logged = shares.reduce((sum, share) => sum + share, 0);
    // Each tool call is one allowed decision, counted with transport "mcp" by whichever replica ran it.
    await prometheus.waitForScrapesAfter(Date.now(), 10_000);
    const [decided] = await prometheus.query(
      'sum(auth_decisions_total{job="api",transport="mcp",result="allowed"})',
    );
    record(
      `${MCP_TOOL_CALLS} MCP tool calls through nginx`,
      answered === MCP_TOOL_CALLS &&
        logged === requests &&
        shares.every((share) => share > 0) &&
        decided?.value === MCP_TOOL_CALLS,
      `${answered} × privateScoped's structured result; the client's ${requests} requests (initialize, notification, calls) logged by the replicas ${shares.join(" / ")}; Prometheus: ${decided?.value} allowed decisions with transport "mcp"`,
    );
  }

  // DPoP: a proof accepted by one replica is refused by every other (the replay store is Redis),
  // directly and through nginx.
  {
    const key = await createDpopKey();
    const dpopToken = await issuer.token({
      dpop: await key.proof({ htm: "POST", htu: `${issuer.url}oauth/token` }),
    });
    const headers = {
      authorization: `DPoP ${dpopToken}`,
      dpop: await key.proof({ htm: "GET", htu: privateUrl, accessToken: dpopToken }),
    };
    const answers = [];
    for (const replica of replicas) {
      const response = await fetch(`${replica.url}/api/private`, { headers });
      answers.push(`${response.status} ${((await response.json()) as { code?: string }).code ?? "ok"}`);
    }
    const throughLb = {
      ...headers,
      dpop: await key.proof({ htm: "GET", htu: privateUrl, accessToken: dpopToken }),
    };
    const viaNginx = [];
    for (let i = 0; i < 2; i += 1) viaNginx.push((await fetch(privateUrl, { headers: throughLb })).status);
    const expected = ["200 ok", ...replicas.slice(1).map(() => "401 invalid_dpop_proof")];
    record(
      "DPoP proof replayed on another replica (Redis replay store)",
      JSON.stringify(answers) === JSON.stringify(expected) && JSON.stringify(viaNginx) === "[200,401]",
      `one proof sent to each replica in turn: ${answers.join(" / ")}; another twice through nginx: ${viaNginx.join(" / ")}`,
    );
  }

  // The web image's nginx: /config.json and the CSP rendered from the environment, bad values refused.
  {
    const web = await startWebServer({
      repoRoot,
      dir: join(workDir, "nginx-web"),
      port: webPort,
      variables: {
        AUTH_ISSUER: issuer.url,
        API_AUDIENCE: AUDIENCE,
        WEB_CLIENT_ID: "quickstart-spa",
        API_URL: lb.url,
      },
    });
    const configResponse = await fetch(`${web.url}/config.json`);
    const config = await configResponse.json();
    const page = await fetch(`${web.url}/`);
    const csp = page.headers.get("content-security-policy") ?? "";
    const html = await page.text();
    const refusal = sourceWebConfig(repoRoot, {
      AUTH_ISSUER: "http://issuer.example/",
      API_AUDIENCE: AUDIENCE,
      API_URL: lb.url,
    });
    await web.process.stop();
    const expected = { issuer: issuer.url, audience: AUDIENCE, clientId: "quickstart-spa", apiUrl: lb.url };
    const connectSrc = `connect-src 'self' ${new URL(issuer.url).origin} ${lb.url};`;
    record(
      "web image: run-time config from the environment",
      JSON.stringify(config) === JSON.stringify(expected) &&
        configResponse.headers.get("cache-control") === "no-store" &&
        page.status === 200 &&
        html.includes('<div id="root">') &&
        csp.includes(connectSrc) &&
        "error" in refusal &&
        refusal.error.includes("AUTH_ISSUER"),
      `/config.json ${JSON.stringify(config)}; CSP ${csp.includes(connectSrc) ? "has" : "LACKS"} "${connectSrc}"; http issuer refused: ${"error" in refusal ? refusal.error : "no"}`,
    );
  }

  // 2. Throughput through nginx with three replicas and with one (a second nginx, one upstream), in
  // interleaved rounds so that load from elsewhere on the machine falls on both alike; after
  // unmeasured load, so that every replica's code is optimised (api-1 alone would be warmer).
  const single = await startLoadBalancer({
    name: "nginx-single",
    repoRoot,
    dir: join(workDir, "nginx-single"),
    port: singleLbPort,
    apiPorts: apiPorts.slice(0, 1),
  });
  const targets = { [`${REPLICAS} replicas`]: privateUrl, "1 replica": `${single.url}/api/private` };
  await loadFor(privateUrl, 2).result;
  const rounds: Record<string, LoadResult[]> = {};
  for (let round = 0; round < THROUGHPUT_ROUNDS; round += 1) {
    const order = Object.entries(targets);
    if (round % 2 === 1) order.reverse();
    for (const [label, url] of order) {
      const result = await loadFor(url, THROUGHPUT_ROUND_SECONDS).result;
      rounds[label] = [...(rounds[label] ?? []), result];
    }
  }
  await single.process.stop();
  for (const [label, results] of Object.entries(rounds)) {
    const perRound = results.map((result) => Math.round(result.requests.average));
    throughput[label] = median(perRound);
    record(
      `throughput, ${label}`,
      results.every(clean),
      `median ${throughput[label]} req/s over ${results.length} rounds of ${THROUGHPUT_ROUND_SECONDS} s (${perRound.join(", ")}); p99 ${Math.max(...results.map((result) => result.latency.p99))} ms; ${results.reduce((sum, result) => sum + result.socketErrors.length + result.non2xx, 0)} non-2xx or socket errors`,
    );
  }

  // 3. kill -9 of one replica under load: nginx retries the GETs it had sent there elsewhere.
  const [victim] = replicas.slice(1, 2);
  if (victim) {
    const load = loadFor(privateUrl, 6);
    await sleep(2000);
    victim.process?.signal("SIGKILL");
    const result = await load.result;
    await victim.start();
    record(
      "kill -9 of a replica under load",
      clean(result),
      `${victim.name} killed 2 s into 6 s; ${loadSummary(result)}`,
    );
  }

  // 4. Rolling restart under load: SIGTERM each replica, restart it, wait until it is ready.
  {
    const load = loadFor(privateUrl, 120);
    await sleep(1000);
    const started = performance.now();
    const exitCodes: Array<number | string> = [];
    const events: string[] = [];
    const at = () => ((performance.now() - started + 1000) / 1000).toFixed(1);
    for (const replica of replicas) {
      events.push(`${replica.name} SIGTERM at ${at()} s`);
      exitCodes.push((await replica.process?.stop()) ?? "not running");
      await replica.start();
      events.push(`ready at ${at()} s`);
      await sleep(1000);
    }
    load.stop();
    const result = await load.result;
    record(
      "rolling restart under load",
      clean(result) && exitCodes.every((code) => code === 0),
      `${REPLICAS} replicas in ${((performance.now() - started) / 1000).toFixed(1)} s, exit codes ${exitCodes.join(", ")} (SHUTDOWN_DELAY_MS=${spec.env.SHUTDOWN_DELAY_MS}); ${loadSummary(result)}; ${events.join(", ")}`,
    );
  }

  // 5. Key rotation at the issuer: every replica accepts the new key's tokens.
  const oldToken = token;
  await issuer.rotate();
  const newToken = await issuer.token();
  const accepted = await Promise.all(
    replicas.map((replica) =>
      timeUntil(async () => (await statusOf(`${replica.url}/api/private`, newToken)) === 200, 5000),
    ),
  );
  const oldStillAccepted = await Promise.all(
    replicas.map(async (replica) => (await statusOf(`${replica.url}/api/private`, oldToken)) === 200),
  );
  record(
    "key rotation accepted by every replica",
    kidOf(newToken) !== kidOf(oldToken) &&
      accepted.every((ms) => ms !== undefined) &&
      oldStillAccepted.every(Boolean),
    `new kid ${String(kidOf(newToken)).slice(0, 8)}…: ${accepted
      .map((ms, index) => `api-${index + 1} ${ms === undefined ? "never (5 s)" : `${Math.round(ms)} ms`}`)
      .join(", ")}; old key still published and accepted: ${oldStillAccepted.every(Boolean)}`,
  );

  // 6. Revocation: the old key leaves the issuer's key set; every replica refuses it within 5 s.
  await issuer.revokeOlderKeys();
  const refused = await Promise.all(
    replicas.map((replica) =>
      timeUntil(
        async () => (await statusOf(`${replica.url}/api/private`, oldToken)) === 401,
        REVOCATION_BOUND_MS,
      ),
    ),
  );
  const newStillAccepted = await Promise.all(
    replicas.map(async (replica) => (await statusOf(`${replica.url}/api/private`, newToken)) === 200),
  );
  record(
    "revoked key refused by every replica (AUTH_JWKS_MAX_AGE_S=2)",
    refused.every((ms) => ms !== undefined) && newStillAccepted.every(Boolean),
    `${refused
      .map(
        (ms, index) =>
          `api-${index + 1} ${ms === undefined ? "still accepted after 5 s" : `${Math.round(ms)} ms`}`,
      )
      .join(", ")}; new key still accepted: ${newStillAccepted.every(Boolean)}`,
  );
}

/**
 * What Prometheus scraped from the replicas after the valid-token requests: as many allowed decisions
 * as requests sent, each replica's as many as its log shows; and no metrics through nginx.
 */
async function checkDecisionsInPrometheus(
  prometheus: RunningPrometheus,
  replicas: Replica[],
  shares: number[],
  lbUrl: string,
): Promise<void> {
  const loadEndedAt = Date.now();
  await prometheus.waitForScrapesAfter(loadEndedAt, 10_000);
  const allowed = 'auth_decisions_total{job="api",result="allowed"}';
  const [total] = await prometheus.query(`sum(${allowed})`);
  const byReplica = await prometheus.query(`sum by (replica) (${allowed})`);
  const scraped = replicas.map(
    (replica) => byReplica.find((sample) => sample.metric.replica === replica.name)?.value,
  );
  const throughNginx = await fetch(`${lbUrl}/metrics`);
  await throughNginx.body?.cancel();
  record(
    "Prometheus counts every allowed decision",
    total?.value === SPREAD_REQUESTS &&
      scraped.every((value, index) => value === shares[index]) &&
      throughNginx.status === 404,
    `sum(${allowed}) = ${total?.value}; by replica ${scraped.join(" / ")} (logs ${shares.join(" / ")}); /metrics through nginx: ${throughNginx.status}`,
  );
}

function printTable(): void {
  const widths = [Math.max(5, ...rows.map((row) => row.check.length)), 6];
  const line = (check: string, result: string, detail: string) =>
    `${check.padEnd(widths[0] ?? 0)}  ${result.padEnd(widths[1] ?? 0)}  ${detail}`;
  console.log(`\n${line("Check", "Result", "Detail")}`);
  console.log(line("-".repeat(widths[0] ?? 0), "-".repeat(widths[1] ?? 0), "-".repeat(6)));
  for (const row of rows) console.log(line(row.check, row.passed ? "pass" : "FAIL", row.detail));
  const one = throughput["1 replica"];
  const three = throughput[`${REPLICAS} replicas`];
  if (one && three) {
    console.log(
      `\nThroughput through nginx (medians): 1 replica ${one} req/s, ${REPLICAS} replicas ${three} req/s (${(three / one).toFixed(2)}×)`,
    );
  }
}

const startedAt = performance.now();
const workDir = await mkdtemp(join(tmpdir(), "quickstart-cluster-"));
let failure: unknown;
const budget = setTimeout(() => {
  failure = new Error(`over the ${BUDGET_MS / 1000} s budget`);
  void killAll().then(() => finish());
}, BUDGET_MS);
process.once("SIGINT", () => {
  failure = new Error("interrupted");
  void killAll().then(() => finish());
});

async function finish(): Promise<never> {
  clearTimeout(budget);
  await killAll();
  printTable();
  const failed = failure !== undefined || rows.some((row) => !row.passed) || rows.length === 0;
  if (failure) console.error(`\nCluster test stopped: ${(failure as Error).message ?? failure}`);
  if (failed) {
    console.error(`Logs kept in ${workDir}`);
  } else {
    await rm(workDir, { recursive: true, force: true });
  }
  console.log(
    `\n${failed ? "FAILED" : "passed"} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
  );
  process.exit(failed ? 1 : 0);
}

try {
  await main(workDir);
} catch (error) {
  failure = error;
}
await finish();

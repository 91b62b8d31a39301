/**
 * `pnpm bench`: what auth costs per request on the quickstart's API, and what a user would get from
 * Express + express-oauth2-jwt-bearer instead. Builds the API, starts the embedded issuer here, the API
 * with `pnpm start:api` and the peer as processes of their own, loads every row in interleaved rounds
 * with autocannon, runs the in-process microbenchmarks, and writes the results into BENCHMARKS.md.
 * Exits 1 when a target is missed.
 */
import { execFileSync } from "node:child_process";
import { subscribe } from "node:diagnostics_channel";
import { mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppRouter } from "@quickstart/api";
import { startIssuer } from "@quickstart/issuer";
import { createTRPCClient, httpBatchLink, httpLink } from "@trpc/client";
import { generateProof, type KeyPair } from "dpop";
import { createDpopKey, getProofs } from "./dpop";
import { loadWindow, type Window } from "./load";
import { runMicrobenchmarks } from "./micro";
import { type RowSummary, renderResults, type Target, writeResults } from "./report";
import { freePort, type Server, startServer } from "./servers";

const ROUNDS = 5;
const WARM_SECONDS = 0.5;
const MEASURED_SECONDS = 2.5;
const CONNECTIONS = 50;
const AUDIENCE = "https://quickstarts/api";
const root = fileURLToPath(new URL("../../..", import.meta.url));
const startedAt = performance.now();
const log = (message: string) =>
  console.log(`[bench ${((performance.now() - startedAt) / 1000).toFixed(0)}s] ${message}`);
const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

const servers: Server[] = [];
const dataDir = await mkdtemp(join(tmpdir(), "quickstart-bench-"));
const issuer = await startIssuer({ dataDir, audience: AUDIENCE, logger: { ...console, info() {} } });
process.once("SIGINT", () => void stopAll().finally(() => process.exit(130)));
async function stopAll() {
  await Promise.all(servers.map((server) => server.stop()));
  await issuer.close();
  await rm(dataDir, { recursive: true, force: true });
}

// JWKS fetches, counted where they arrive: the issuer's HTTP server, which runs in this process.
let jwksFetches = 0;
subscribe("http.server.request.start", (message) => {
  if ((message as { request: IncomingMessage }).request.url?.includes("jwks")) jwksFetches += 1;
});

async function main(): Promise<number> {
  const machine = `${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const loadAtStart = loadAverage();
  log(`${machine}; load average ${loadAtStart}`);
  execFileSync("pnpm", ["--filter", "@quickstart/api", "build"], { cwd: root, stdio: "inherit" });

  // NODE_OPTIONS dropped: the servers run with their own start command's flags only.
  const env = { ...process.env, NODE_OPTIONS: undefined, AUTH_ISSUER: issuer.url, API_AUDIENCE: AUDIENCE };
  const startApi = async (logLevel: string) => {
    const port = await freePort();
    // A DPoP proof's htu must match the API's public URL, so that is the URL the bench loads.
    return startServer("pnpm", ["start:api"], {
      cwd: root,
      port,
      env: { ...env, LOG_LEVEL: logLevel, API_PUBLIC_URL: `http://127.0.0.1:${port}` },
      readyPath: "/api/public",
    });
  };
  // Three starts at LOG_LEVEL=info, which logs readyInMs; the measured API runs at warn, because at
  // info Fastify logs two lines per request and the bench would measure the logger.
  const readyInMs: number[] = [];
  for (let start = 0; start < 3; start += 1) {
    const probe = await startApi("info");
    for (let waited = 0; waited < 2000 && !probe.logs.some((line) => "readyInMs" in line); waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    readyInMs.push(Number(probe.logs.find((line) => "readyInMs" in line)?.readyInMs ?? NaN));
    await probe.stop();
  }
  const api = await startApi("warn");
  servers.push(api);
  const peerFile = fileURLToPath(new URL("peer.ts", import.meta.url));
  const peer = await startServer(process.execPath, [peerFile, issuer.url, AUDIENCE], {
    cwd: root,
    env: { ...env, NODE_ENV: "production" },
    readyPath: "/api/public",
  });
  servers.push(peer);
  const floor = await startServer(process.execPath, [fileURLToPath(new URL("floor.ts", import.meta.url))], {
    cwd: root,
    env: { ...env, NODE_ENV: "production" },
    readyPath: "/api/public",
  });
  servers.push(floor);
  log(`API pid ${api.pid}, peer pid ${peer.pid}; API ready in ${readyInMs.join(", ")} ms`);

  const token = await machineToken();
  const headers = { authorization: `Bearer ${token}` };
  const trpc = await trpcUrls(api.url, headers);
  const dpopKey = await createDpopKey();
  const dpopToken = await machineToken(dpopKey);
  const dpopUrl = `${api.url}/api/private`;
  const dpopHeaders = { authorization: `DPoP ${dpopToken}` };
  const rows = [
    { name: "REST /api/public", server: api, path: "/api/public" },
    { name: "REST /api/private", server: api, path: "/api/private" },
    { name: "REST /api/private-scoped", server: api, path: "/api/private-scoped" },
    { name: "REST private (DPoP)", server: api, path: "/api/private", dpop: true },
    { name: "tRPC public (httpLink GET)", server: api, path: trpc.public },
    { name: "tRPC private (httpLink GET)", server: api, path: trpc.private },
    { name: "tRPC privateScoped (httpLink GET)", server: api, path: trpc.privateScoped },
    { name: "tRPC batch of all three (httpBatchLink GET)", server: api, path: trpc.batch },
    { name: "Express peer /api/public", server: peer, path: "/api/public" },
    { name: "Express peer /api/private", server: peer, path: "/api/private" },
    { name: "Express peer /api/private-scoped", server: peer, path: "/api/private-scoped" },
    { name: "Plain Fastify route, no tRPC (floor) /api/public", server: floor, path: "/api/public" },
  ];
  // One proof answers 200 and the same proof again 401: the row measures accepted proofs, not refusals.
  const [proof = ""] = await getProofs(dpopKey, dpopUrl, dpopToken, 1);
  const fresh = await fetch(dpopUrl, { headers: { ...dpopHeaders, dpop: proof } });
  const replayed = await fetch(dpopUrl, { headers: { ...dpopHeaders, dpop: proof } });
  if (fresh.status !== 200 || replayed.status !== 401) {
    throw new Error(
      `REST private (DPoP) answered ${fresh.status} to a proof and ${replayed.status} to its replay`,
    );
  }
  for (const row of rows) {
    if (row.dpop) continue;
    const [withToken, without] = await Promise.all([
      fetch(row.server.url + row.path, { headers }),
      fetch(row.server.url + row.path),
    ]);
    // Without a token: public answers 200, protected 401, and the batch 207 (one result per call).
    const expected = row.name.includes("public") ? 200 : row.name.includes("batch") ? 207 : 401;
    if (withToken.status !== 200 || without.status !== expected) {
      throw new Error(`${row.name} answered ${withToken.status} with the token, ${without.status} without`);
    }
  }

  // Requests per second of the DPoP row, the highest seen so far; a generous guess before its first load.
  let dpopRate: number | undefined;
  type Round = Window & { cpuMicrosPerRequest: number; jwksFetches: number; peakRssMb: number };
  const measure = async (
    row: (typeof rows)[number],
    warmSeconds: number,
    seconds: number,
  ): Promise<Round> => {
    let cpuAtStart = 0;
    let cpuAtEnd = 0;
    let jwksAtStart = 0;
    let jwksAtEnd = 0;
    // Proofs made before the load, for twice the most requests a window of this row has served yet.
    const dpopProofs = row.dpop
      ? await getProofs(
          dpopKey,
          dpopUrl,
          dpopToken,
          Math.ceil(2 * (dpopRate ?? 10_000) * (warmSeconds + seconds)) + 1000,
        )
      : undefined;
    const window = await loadWindow({
      url: row.server.url + row.path,
      headers: row.dpop ? dpopHeaders : headers,
      dpopProofs,
      connections: CONNECTIONS,
      warmSeconds,
      seconds,
      onMeasuring() {
        [cpuAtStart, jwksAtStart] = [row.server.cpuSeconds(), jwksFetches];
      },
      onDone() {
        [cpuAtEnd, jwksAtEnd] = [row.server.cpuSeconds(), jwksFetches];
      },
    });
    if (row.dpop) dpopRate = Math.max(dpopRate ?? 0, window.requests / window.seconds);
    return {
      ...window,
      cpuMicrosPerRequest: ((cpuAtEnd - cpuAtStart) * 1e6) / Math.max(1, window.requests),
      jwksFetches: jwksAtEnd - jwksAtStart,
      peakRssMb: row.server.peakRssMb(),
    };
  };

  // Every row once first, unmeasured, so the JIT has seen every route before the first round.
  for (const row of rows) await measure(row, 0, 1);
  // Interleaved rounds: drift on a shared machine spreads over every row, and reversing the order
  // every other round gives each row both neighbours.
  const rounds = new Map(rows.map((row) => [row.name, [] as Round[]]));
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const row of round % 2 === 1 ? rows : rows.toReversed()) {
      const result = await measure(row, WARM_SECONDS, MEASURED_SECONDS);
      rounds.get(row.name)?.push(result);
      log(
        `round ${round} ${row.name}: ${Math.round(result.requests / result.seconds)} req/s, ${result.cpuMicrosPerRequest.toFixed(1)} µs CPU/req`,
      );
    }
  }
  const summaries: RowSummary[] = rows.map((row) => {
    const results = rounds.get(row.name) ?? [];
    return {
      name: row.name,
      server: row.server === api ? "api" : row.server === peer ? "peer" : "floor",
      requestsPerSecond: median(results.map((result) => result.requests / result.seconds)),
      p50Ms: median(results.map((result) => result.p50Ms)),
      p99Ms: median(results.map((result) => result.p99Ms)),
      cpuMicrosPerRequest: median(results.map((result) => result.cpuMicrosPerRequest)),
      errors: results.reduce((total, result) => total + result.errors, 0),
      jwksFetches: results.reduce((total, result) => total + result.jwksFetches, 0),
      peakRssMb: Math.max(...results.map((result) => result.peakRssMb)),
    };
  });
  await Promise.all(servers.splice(0).map((server) => server.stop()));

  log("in-process microbenchmarks");
  const micro = await runMicrobenchmarks();

  // A target compares two rows round by round; the median of those per-round values is the result.
  const perRound = (a: string, b: string, compare: (a: number, b: number) => number) => {
    const second = rounds.get(b) ?? [];
    const values = (rounds.get(a) ?? []).map((round, i) =>
      compare(round.cpuMicrosPerRequest, second[i]?.cpuMicrosPerRequest ?? NaN),
    );
    return median(values);
  };
  const restExtra = perRound("REST /api/private", "REST /api/public", (a, b) => a - b);
  const dpopExtra = perRound("REST private (DPoP)", "REST /api/private", (a, b) => a - b);
  log(
    `REST private (DPoP) − REST /api/private, API CPU/req: ${dpopExtra.toFixed(1)} µs (median of the rounds)`,
  );
  const privateRatio = perRound("REST /api/private", "Express peer /api/private", (a, b) => a / b);
  const publicRatio = perRound("REST /api/public", "Express peer /api/public", (a, b) => a / b);
  const apiPeakRss = Math.max(...summaries.filter((row) => row.server === "api").map((row) => row.peakRssMb));
  const total = (key: "errors" | "jwksFetches") => summaries.reduce((sum, row) => sum + row[key], 0);
  const targets: Target[] = [
    { name: "REST private − REST public, API CPU/req", value: restExtra, limit: 3, unit: "µs" },
    {
      name: "tRPC private − public through the server-side caller, CPU/call",
      value: micro.callerPrivateExtraMicros,
      limit: 8,
      unit: "µs",
    },
    { name: "REST private ÷ Express peer private, CPU/req", value: privateRatio, limit: 0.25, unit: "×" },
    { name: "REST public ÷ Express peer public, CPU/req", value: publicRatio, limit: 0.75, unit: "×" },
    { name: "Errors, every row", value: total("errors"), limit: 0, unit: "" },
    { name: "JWKS fetches while measuring, every row", value: total("jwksFetches"), limit: 0, unit: "" },
    { name: "API peak RSS (VmHWM)", value: apiPeakRss, limit: 150, unit: "MB" },
    {
      name: "API ready (logged readyInMs, slowest of 3)",
      value: Math.max(...readyInMs),
      limit: 1000,
      unit: "ms",
    },
  ];

  const results = renderResults({
    date: new Date().toISOString(),
    seconds: (performance.now() - startedAt) / 1000,
    machine,
    load: `${loadAtStart} at the start, ${loadAverage()} at the end`,
    rounds: `${ROUNDS} interleaved rounds of ${MEASURED_SECONDS} s per row (each after ${WARM_SECONDS} s unmeasured), ${CONNECTIONS} connections, one autocannon in the bench process; the table holds each row's median round`,
    rows: summaries,
    micro,
    readyInMs,
    targets,
  });
  console.log(`\n${results}\n`);
  writeResults(join(root, "BENCHMARKS.md"), results);
  log("wrote BENCHMARKS.md");
  return targets.every((target) => target.value <= target.limit) ? 0 : 1;
}

/**
 * A token for the machine client, with the client credentials grant, as `pnpm get-token` gets one;
 * bound to `dpopKey` when given (a proof with the request), as `pnpm get-token --dpop` gets one.
 */
async function machineToken(dpopKey?: KeyPair): Promise<string> {
  const tokenUrl = new URL("oauth/token", issuer.url);
  const response = await fetch(tokenUrl, {
    method: "POST",
    ...(dpopKey && { headers: { dpop: await generateProof(dpopKey, tokenUrl.href, "POST") } }),
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: issuer.machineClient.clientId,
      client_secret: issuer.machineClient.clientSecret,
      audience: AUDIENCE,
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`the issuer gave no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The URLs tRPC's own links request: one query per GET with httpLink, and one httpBatchLink batch. */
async function trpcUrls(apiUrl: string, headers: Record<string, string>) {
  const seen: string[] = [];
  const recordingFetch = (url: URL | string, init?: RequestInit) => {
    seen.push(String(url).slice(apiUrl.length));
    return fetch(url, init);
  };
  const options = { url: `${apiUrl}/trpc`, headers, fetch: recordingFetch };
  const single = createTRPCClient<AppRouter>({ links: [httpLink(options)] });
  await single.public.query();
  await single.private.query();
  await single.privateScoped.query();
  const batched = createTRPCClient<AppRouter>({ links: [httpBatchLink(options)] });
  await Promise.all([batched.public.query(), batched.private.query(), batched.privateScoped.query()]);
  const [publicPath = "", privatePath = "", privateScoped = "", batch = ""] = seen;
  return { public: publicPath, private: privatePath, privateScoped, batch };
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await stopAll();
}
process.exit(exitCode);

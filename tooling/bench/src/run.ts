/**
 * `pnpm bench`: what auth costs per request on the quickstart's API, and what a user would get from
 * Express + express-oauth2-jwt-bearer instead. Builds the API, starts the embedded issuer here and
 * the servers rows.ts names as processes of their own, loads every row in interleaved rounds with
 * autocannon, runs the in-process rows, and writes the results into BENCHMARKS.md.
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
import { generateKeyPair } from "dpop";
import { fetchMachineToken } from "../../../scripts/lib/machine-token";
import type { Bench, Measured, ServerSpec } from "./bench";
import { getProofs, type Loadable, loadRound, prepare, type Round } from "./load";
import { runInProcessRows } from "./micro";
import { isMet, median, renderResults, writeResults } from "./report";
import { inProcessRows, rows, servers as serverSpecs, targets as targetSpecs } from "./rows";
import { freePort, type Server, startServer } from "./servers";

const [ROUNDS, IN_PROCESS_ROUNDS, WARM_SECONDS, MEASURED_SECONDS, CONNECTIONS] = [5, 7, 0.5, 2.5, 50];
const AUDIENCE = "https://quickstarts/api";
const root = fileURLToPath(new URL("../../..", import.meta.url));
const startedAt = performance.now();
const log = (message: string) =>
  console.log(`[bench ${((performance.now() - startedAt) / 1000).toFixed(0)}s] ${message}`);
const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

const servers: Server[] = [];
const dataDir = await mkdtemp(join(tmpdir(), "quickstart-bench-"));
const issuer = await startIssuer({ dataDir, audience: AUDIENCE, logger: { ...console, info() {} } });
process.once("SIGINT", () => void stopAll().finally(() => process.exit(130)));
async function stopAll() {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await issuer.close();
  await rm(dataDir, { recursive: true, force: true });
}

// JWKS fetches, counted where they arrive: the issuer's HTTP server, which runs in this process.
let jwksFetches = 0;
subscribe("http.server.request.start", (message) => {
  if ((message as { request: IncomingMessage }).request.url?.includes("jwks")) jwksFetches += 1;
});

// NODE_OPTIONS dropped: the servers run with their own start command's flags only.
const env = { ...process.env, NODE_OPTIONS: undefined, AUTH_ISSUER: issuer.url, API_AUDIENCE: AUDIENCE };
const where = { cwd: root, readyPath: "/api/public" };
async function startApi(logLevel: string, more: Record<string, string> = {}) {
  const port = await freePort();
  // A DPoP proof's htu must match the API's public URL, so that is the URL the bench loads.
  const apiEnv = { ...env, LOG_LEVEL: logLevel, API_PUBLIC_URL: `http://127.0.0.1:${port}`, ...more };
  return startServer("pnpm", ["start:api"], { ...where, port, env: apiEnv });
}
/** `node src/<script> <issuer URL> <audience>`: the peer and the floor, as a user would run them. */
function startScript(script: string) {
  const args = [fileURLToPath(new URL(script, import.meta.url)), issuer.url, AUDIENCE];
  return startServer(process.execPath, args, { ...where, env: { ...env, NODE_ENV: "production" } });
}

/** The `readyInMs` the API logs at LOG_LEVEL=info, from 3 starts of its own. */
async function readyTimes(): Promise<number[]> {
  const times: number[] = [];
  for (let start = 0; start < 3; start += 1) {
    const probe = await startApi("info");
    for (let waited = 0; waited < 2000 && !probe.logs.some((line) => "readyInMs" in line); waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    times.push(Number(probe.logs.find((line) => "readyInMs" in line)?.readyInMs ?? NaN));
    await probe.stop();
  }
  return times;
}

async function main(): Promise<number> {
  const machine = `${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const loadAtStart = loadAverage();
  log(`${machine}; load average ${loadAtStart}`);
  execFileSync("pnpm", ["--filter", "@quickstart/api", "build"], { cwd: root, stdio: "inherit" });
  // The measured APIs run at warn: at info Fastify logs two lines per request, and the bench would measure the logger.
  const readyInMs = await readyTimes();
  const started = new Map<string, Server>();
  const apis: Server[] = [];
  for (const name of new Set(rows.map((row) => row.server))) {
    const spec: ServerSpec = serverSpecs[name];
    const server =
      "script" in spec
        ? await startScript(spec.script)
        : await startApi("warn", typeof spec.api === "function" ? await spec.api(issuer) : spec.api);
    if (!("script" in spec)) apis.push(server);
    started.set(name, server);
    servers.push(server);
  }
  log(`API ready in ${readyInMs.join(", ")} ms; servers: ${[...started.keys()].join(", ")}`);

  // ES256, the algorithm `pnpm get-token --dpop` and the SPA use.
  const dpopKey = await generateKeyPair("ES256");
  const url = (name: string) => started.get(name)?.url ?? "";
  // As `pnpm get-token` and `pnpm get-token --dpop` get them.
  const client = { issuer: issuer.url, audience: AUDIENCE, ...issuer.machineClient };
  const bearerToken = await fetchMachineToken(client);
  const dpopToken = await fetchMachineToken(client, { dpop: dpopKey });
  const trpcPaths = await recordTrpcPaths(url("api"), bearerToken);
  const bench: Bench = { dpopKey, bearerToken, dpopToken, trpcPaths, url };
  const loadables = rows.map((row) => prepare(row, bench, started.get(row.server) as Server));
  for (const loadable of loadables) await check(loadable);

  // Requests per second of each DPoP row, the highest seen so far.
  const dpopRates = new Map<string, number>();
  const measure = async (loadable: Loadable, warmSeconds: number, seconds: number) => {
    // Proofs for twice the most requests a window of this row has served yet (a generous guess at first).
    const rate = dpopRates.get(loadable.row.name);
    const proofs = Math.ceil(2 * (rate ?? 10_000) * (warmSeconds + seconds)) + 1000;
    const options = {
      connections: CONNECTIONS,
      warmSeconds,
      seconds,
      proofs,
      jwksFetches: () => jwksFetches,
    };
    const round = await loadRound(loadable, options);
    if (loadable.dpop) dpopRates.set(loadable.row.name, Math.max(rate ?? 0, round.requests / round.seconds));
    return round;
  };

  // Every row once first, unmeasured, so the JIT has seen every route before the first round.
  for (const loadable of loadables) await measure(loadable, 0, 1);
  // Interleaved rounds: drift on a shared machine spreads over every row, and reversing the order
  // every other round gives each row both neighbours.
  const rounds = new Map(rows.map((row) => [row.name, [] as Round[]]));
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const loadable of round % 2 === 1 ? loadables : loadables.toReversed()) {
      const result = await measure(loadable, WARM_SECONDS, MEASURED_SECONDS);
      rounds.get(loadable.row.name)?.push(result);
      const rate = Math.round(result.requests / result.seconds);
      log(
        `round ${round} ${loadable.row.name}: ${rate} req/s, ${result.cpuMicrosPerRequest.toFixed(1)} µs CPU/req`,
      );
    }
  }
  const apiPeakRssMb = Math.max(...apis.map((server) => server.peakRssMb()));
  await Promise.all(servers.splice(0).map((server) => server.stop()));

  log("in-process rows");
  const inProcess = await runInProcessRows(inProcessRows, IN_PROCESS_ROUNDS);

  // CPU µs per request (HTTP rows) or per call (in-process rows) of every row, one value per round.
  const cpu = new Map([
    ...[...rounds].map(
      ([name, results]) => [name, results.map((round) => round.cpuMicrosPerRequest)] as const,
    ),
    ...inProcess,
  ]);
  const cpuOf = (row: string) => {
    const values = cpu.get(row);
    if (!values) throw new Error(`a target names "${row}", which is no row`);
    return values;
  };
  const perRound = (a: string, b: string, compare: (a: number, b: number) => number) =>
    median(cpuOf(a).map((value, i) => compare(value, cpuOf(b)[i] ?? NaN)));
  const measured: Measured = {
    median: (row) => median(cpuOf(row)),
    difference: (a, b) => perRound(a, b, (x, y) => x - y),
    ratio: (a, b) => perRound(a, b, (x, y) => x / y),
    total: (count) => [...rounds.values()].flat().reduce((sum, round) => sum + round[count], 0),
    apiPeakRssMb,
    readyInMs,
  };
  const targets = targetSpecs.map(({ value, ...target }) => ({ ...target, value: value(measured) }));

  const results = renderResults({
    date: new Date().toISOString(),
    seconds: (performance.now() - startedAt) / 1000,
    machine,
    load: `${loadAtStart} at the start, ${loadAverage()} at the end`,
    rounds: `${ROUNDS} interleaved rounds of ${MEASURED_SECONDS} s per row (each after ${WARM_SECONDS} s unmeasured), ${CONNECTIONS} connections, one autocannon in the bench process; the table holds each row's median round. In-process rows: ${IN_PROCESS_ROUNDS} interleaved rounds, the median`,
    rows: rows.map(({ name }) => ({ name, rounds: rounds.get(name) ?? [] })),
    inProcess: inProcessRows.map(({ name }) => ({ name, micros: measured.median(name) })),
    readyInMs,
    targets,
  });
  console.log(`\n${results}\n`);
  writeResults(join(root, "BENCHMARKS.md"), results);
  log("wrote BENCHMARKS.md");
  return targets.every(isMet) ? 0 : 1;
}

/**
 * Checks a row answers 200 with its credentials and its `anonymousStatus` without them; a DPoP row,
 * 200 to a proof and its `replayStatus` to the same proof again: rows measure accepted requests.
 */
async function check(loadable: Loadable): Promise<void> {
  const { row, url, method, headers, body, dpop } = loadable;
  const { authorization: _, ...anonymousHeaders } = headers;
  const send = (sent: Record<string, string>) =>
    fetch(url, { method, body, headers: sent }).then((r) => r.status);
  const proof = dpop && (await getProofs(loadable, 1))[0];
  const answers = proof
    ? [await send({ ...headers, dpop: proof }), await send({ ...headers, dpop: proof })]
    : [await send(headers), await send(anonymousHeaders)];
  const expected = [200, (proof ? row.replayStatus : row.anonymousStatus) ?? (row.auth ? 401 : 200)];
  if (answers.join() !== expected.join()) {
    const sent = proof ? "a proof, then the same again" : "with and without credentials";
    throw new Error(`${row.name} answered ${answers} to ${sent}, not ${expected}`);
  }
}

/** The request targets tRPC's own links produce, recorded from real client calls. */
async function recordTrpcPaths(apiUrl: string, token: string): Promise<Bench["trpcPaths"]> {
  const seen: string[] = [];
  const fetchAndRecord = (url: URL | string, init?: RequestInit) => {
    seen.push(String(url).slice(apiUrl.length));
    return fetch(url, init);
  };
  const options = {
    url: `${apiUrl}/trpc`,
    headers: { authorization: `Bearer ${token}` },
    fetch: fetchAndRecord,
  };
  const single = createTRPCClient<AppRouter>({ links: [httpLink(options)] });
  for (const procedure of ["public", "private", "privateScoped"] as const) await single[procedure].query();
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

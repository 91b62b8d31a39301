/**
 * Debian's Prometheus scraping the replicas' metrics ports on loopback, as deploy/prometheus does in
 * compose: a config written to the test's folder, storage there too, and PromQL through its HTTP API.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { findProgram, type ManagedProcess, startProcess } from "./processes";
import { waitForStatus } from "./wait";

const PROMETHEUS_CANDIDATES = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"];

/** One sample of an instant vector: its labels and value. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  url: string;
  process: ManagedProcess;
  /** Evaluates `query` now (PromQL's instant query). */
  query(query: string): Promise<VectorSample[]>;
  /** Resolves once every target has been scraped after `sinceMs` (epoch milliseconds). */
  waitForScrapesAfter(sinceMs: number, timeoutMs: number): Promise<void>;
}

/**
 * Starts Prometheus on `port`, scraping each target (`host:port` with a `replica` label) every
 * `scrapeIntervalS` seconds, and resolves once it is ready.
 */
export async function startPrometheus(options: {
  dir: string;
  port: number;
  targets: { replica: string; address: string }[];
  scrapeIntervalS: number;
}): Promise<RunningPrometheus> {
  const { dir } = options;
  await mkdir(join(dir, "data"), { recursive: true });
  const interval = `${options.scrapeIntervalS}s`;
  // JSON is YAML: no YAML library needed to write the config.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval },
    scrape_configs: [
      {
        job_name: "api",
        static_configs: options.targets.map(({ replica, address }) => ({
          targets: [address],
          labels: { replica },
        })),
      },
    ],
  };
  await writeFile(join(dir, "prometheus.yml"), JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${options.port}`;
  const prometheus = startProcess(
    "prometheus",
    findProgram("prometheus", PROMETHEUS_CANDIDATES),
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
    ],
    {
      cwd: dir,
      env: { PATH: process.env.PATH },
      logFile: join(dir, "prometheus.log"),
      cleanupSignal: "SIGTERM",
    },
  );
  await waitForStatus(`${url}/-/ready`, 200, {
    timeoutMs: 20_000,
    abandonIf: () => prometheus.exitCode(),
    describe: async () =>
      `prometheus: ${(await readFile(join(dir, "prometheus.log"), "utf8").catch(() => "")).split("\n").slice(-5).join("\n")}`,
  });

  async function query(promql: string): Promise<VectorSample[]> {
    const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== "success" || body.data?.resultType !== "vector") {
      throw new Error(`PromQL ${promql}: ${body.error ?? body.status}`);
    }
    return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
  }

  return {
    url,
    process: prometheus,
    query,
    async waitForScrapesAfter(sinceMs, timeoutMs) {
      const started = performance.now();
      for (;;) {
        // `up`'s timestamp is the time of each target's last scrape (whether it worked: `up` says so).
        const scrapes = await query('timestamp(up{job="api"})');
        const fresh = scrapes.filter((sample) => sample.value * 1000 > sinceMs);
        if (fresh.length === options.targets.length) return;
        if (performance.now() - started > timeoutMs) {
          throw new Error(
            `Prometheus scraped ${fresh.length} of ${options.targets.length} replicas within ${timeoutMs} ms`,
          );
        }
        await sleep(200);
      }
    },
  };
}

/** The shapes rows.ts declares the bench with, and what its functions are given. */
import type { TestIssuer } from "@quickstart/auth/testing";
import type { RunningIssuer } from "@quickstart/issuer";
import type { KeyPair } from "dpop";

/** What a row's functions may use, once the servers run. */
export interface Bench {
  /** The bench's ES256 DPoP key, and the machine client's tokens: plain, and bound to the key. */
  dpopKey: KeyPair;
  bearerToken: string;
  dpopToken: string;
  /** The request targets tRPC's own links produce: one query per GET (httpLink), and the batch of all three. */
  trpcPaths: Record<"public" | "private" | "privateScoped" | "batch", string>;
  /** The base URL of a server by its name in rows.ts. */
  url(server: string): string;
}

/**
 * `pnpm start:api` with this environment added to the bench's (issuer, audience, port, public URL);
 * or `node src/<script> <issuer URL> <audience>`, listening on PORT.
 */
export type ServerSpec =
  | { api: Record<string, string> | ((issuer: RunningIssuer) => Promise<Record<string, string>>) }
  | { script: string };

/** A row loaded over HTTP. Every request is the same, but for a DPoP row's proof. */
export interface HttpRow<Server extends string = string> {
  name: string;
  server: Server;
  path: string | ((bench: Bench) => string);
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** What the row sends to be let in: with `dpopKey`, a fresh proof for the token in `authorization` each time. */
  auth?: (bench: Bench) => { authorization: string; dpopKey?: KeyPair };
  /** Checked before loading: 200 with `auth`, and this without (default 401 with `auth`, 200 without). */
  anonymousStatus?: number;
  /** A DPoP row's answer to a proof sent twice; default 401. */
  replayStatus?: number;
}

/** What in-process rows share: a test issuer, and 1001 tokens it signed. */
export interface InProcessContext {
  issuer: TestIssuer;
  tokens: string[];
}

/** A row run in the bench process: before each round `prepare` (not timed), then `calls` calls of `call`. */
export interface InProcessRow {
  name: string;
  prepare(context: InProcessContext): Promise<{ calls: number; call(index: number): unknown }>;
}

/** What targets are computed from: CPU µs per request (HTTP rows) or per call (in-process rows). */
export interface Measured {
  median(row: string): number;
  /** Median of the per-round `a − b`, or `a ÷ b` (rows of the same kind). */
  difference(a: string, b: string): number;
  ratio(a: string, b: string): number;
  total(count: "errors" | "jwksFetches"): number;
  /** The highest VmHWM of every API process, in MB. */
  apiPeakRssMb: number;
  readyInMs: number[];
}

/** Met when `value` is at most `limit`; with no limit, only shown. */
export interface Target {
  name: string;
  value: number;
  limit: number | undefined;
  unit: string;
}
export type TargetSpec = Omit<Target, "value"> & { value(measured: Measured): number };

import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import type { Dispatcher } from "undici";

/** `AUTH_CA_FILE` is missing, unreadable or holds no PEM certificate; `message` names the variable. */
export class CaFileInvalid extends Error {
  override name = "CaFileInvalid";
  constructor(
    /** What is wrong, without the variable's name (for an env schema's issue). */
    readonly reason: string,
  ) {
    super(`AUTH_CA_FILE ${reason}`);
  }
}

/**
 * Reads `AUTH_CA_FILE`: the PEM certificate(s) of a private CA that signed the issuer's TLS
 * certificate.
 */
export function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    throw new CaFileInvalid(`${path} cannot be read (${code})`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new CaFileInvalid(`${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return pem;
}

/**
 * The `dispatcher` for `fetch` calls to the issuer: one that also trusts the CA in `AUTH_CA_FILE`,
 * or undefined (Node's default trust) when it is unset. Unlike `NODE_EXTRA_CA_CERTS`, which Node
 * reads only at start-up, this works from `.env` too.
 *
 * @example
 * const dispatcher = await createIssuerDispatcher(process.env.AUTH_CA_FILE);
 * await fetch(url, { dispatcher });
 */
export async function createIssuerDispatcher(caFile: string | undefined): Promise<Dispatcher | undefined> {
  return caFile ? dispatcherTrusting(readCaFile(caFile)) : undefined;
}

/** A dispatcher trusting Node's CAs and `ca`, the PEM that {@link readCaFile} returned. */
async function dispatcherTrusting(ca: string): Promise<Dispatcher> {
  // undici is slow to import (many CommonJS modules): only a configured CA pays for it.
  const { Agent } = await import("undici");
  return new Agent({ connect: { ca: [...rootCertificates, ca] } });
}

/** What a failed `fetch` to the issuer came to: the underlying error code, and one line for a person. */
export interface FetchFailure {
  /** `ECONNREFUSED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `TimeoutError`, ... */
  code: string;
  /** The code and its message; a TLS failure says to set AUTH_CA_FILE. */
  reason: string;
  tls: boolean;
}

const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL/;

/**
 * Looks under fetch's generic `TypeError: fetch failed` for the cause (its `code` is what says why).
 *
 * @example
 * describeFetchFailure(error).reason
 * // "TLS: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE); set AUTH_CA_FILE to your issuer's CA certificate"
 */
export function describeFetchFailure(error: unknown): FetchFailure {
  const cause = (error as { cause?: unknown } | null | undefined)?.cause;
  const innermost = (cause instanceof Error ? cause : Object(error)) as Error & { code?: unknown };
  const code = typeof innermost.code === "string" ? innermost.code : (innermost.name ?? "Error").toString();
  const message = innermost.message ?? String(error);
  if (TLS_CODE.test(code)) {
    return {
      code,
      reason: `TLS: ${message} (${code}); set AUTH_CA_FILE to your issuer's CA certificate`,
      tls: true,
    };
  }
  return { code, reason: message.includes(code) ? message : `${code}: ${message}`, tls: false };
}

/** A `fetch` for calls to the issuer, see {@link createIssuerFetch}. */
export type IssuerFetch = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * `fetch` as every call to the issuer needs it: trusting `AUTH_CA_FILE` besides Node's CAs (read
 * now, so a bad file is a configuration error and not a failed call later), timing out after
 * `timeoutMs` unless `init` brings its own signal, and never following a redirect.
 *
 * @example
 * const fetchIssuer = createIssuerFetch({ caFile: process.env.AUTH_CA_FILE, timeoutMs: 5000 });
 * const response = await fetchIssuer(introspectionEndpoint, { method: "POST", body });
 */
export function createIssuerFetch(options: { caFile?: string | undefined; timeoutMs: number }): IssuerFetch {
  const ca = options.caFile ? readCaFile(options.caFile) : undefined;
  let dispatcher: Promise<Dispatcher> | undefined;
  return async (url, init = {}) => {
    if (ca !== undefined) dispatcher ??= dispatcherTrusting(ca);
    // `dispatcher` is Node's (undici's) extension of RequestInit, unknown to the DOM's typings.
    const request: RequestInit & { dispatcher?: Dispatcher | undefined } = {
      ...init,
      signal: init.signal ?? AbortSignal.timeout(options.timeoutMs),
      redirect: "manual",
      dispatcher: await dispatcher,
    };
    return fetch(url, request);
  };
}

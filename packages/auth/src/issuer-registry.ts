/**
 * The issuers an API trusts, each with its own key set (discovery, background refresh, cooldown and
 * backoff: key-set.ts), created the first time one of its tokens arrives. A token's unverified `iss`
 * picks the key set only once it is found in the list, so a token naming any other issuer is
 * refused before a single request leaves the process, and a key of one issuer never verifies a
 * token that names another, whatever its `kid`.
 */
import { isIssuerTemplate, TENANT_PLACEHOLDER } from "./config";
import { TokenClaimsInvalid } from "./errors";
import {
  createIssuerKeySet,
  type IssuerKeySet,
  type IssuerKeySetOptions,
  type KeysStatus,
  quote,
} from "./key-set";

export interface IssuerRegistryOptions extends Omit<IssuerKeySetOptions, "issuer" | "discoveryBase"> {
  /** Issuer identifiers, compared exactly with `iss`, and multi-tenant templates with `{tenantid}`. */
  issuers: readonly string[];
  /** The tenant IDs (`tid`) a template accepts. */
  tenants: readonly string[];
}

/** The claims the registry reads, from a token not yet verified. */
export interface IssuerClaims {
  iss?: unknown;
  tid?: unknown;
}

export interface IssuerRegistry {
  /** As configured, templates included, in order. */
  readonly issuers: readonly string[];
  /**
   * With one issuer and no template, its key set, made at once: the verifier then needs no `iss`
   * before the signature check (jose compares it after), exactly as a single-issuer verifier.
   */
  readonly single: IssuerKeySet | undefined;
  /**
   * The configured issuer (or template) a token names: its `iss` exactly, or a template filled with
   * its `tid` when that tenant is allowed. Throws {@link TokenClaimsInvalid} otherwise; never fetches.
   */
  findIssuer(claims: IssuerClaims): string;
  /** The key set of the issuer {@link findIssuer} finds, created on first use. */
  keySetFor(claims: IssuerClaims): IssuerKeySet;
  /** Changes whenever any issuer's key set drops a key (see {@link IssuerKeySet.version}). */
  readonly version: number;
  /** Each configured issuer's key status; `not_loaded` until its first token. */
  statusByIssuer(): Record<string, KeysStatus>;
  close(): void;
}

/**
 * Makes the registry. Templates need `tenants`; their keys come from `jwksUri` or from discovery
 * at the template with `common` for the tenant, whose document names the template itself as
 * issuer (as Entra ID's does).
 *
 * @example
 * const registry = createIssuerRegistry({ issuers: ["https://a/", "https://b/"], tenants: [], fetchTimeoutMs: 5000, fetchCooldownMs: 30000, jwksMaxAgeMs: 600000 });
 * const { payload } = await jwtVerify(token, registry.keySetFor(decodeJwt(token)).getKey, options);
 */
export function createIssuerRegistry(options: IssuerRegistryOptions): IssuerRegistry {
  const { issuers, tenants, ...keySetOptions } = options;
  const exact = new Set(issuers.filter((issuer) => !isIssuerTemplate(issuer)));
  const templates = issuers.filter(isIssuerTemplate);
  const allowedTenants = new Set(tenants);
  if (templates.length > 0 && allowedTenants.size === 0) {
    throw new TypeError(`the issuer template ${templates[0]} needs a list of allowed tenants`);
  }
  const keySets = new Map<string, IssuerKeySet>();
  const single = issuers.length === 1 && templates.length === 0 ? keySetFor({ iss: issuers[0] }) : undefined;

  function findIssuer({ iss, tid }: IssuerClaims): string {
    if (typeof iss === "string" && exact.has(iss)) return iss;
    for (const template of templates) {
      if (typeof tid !== "string" || iss !== template.replaceAll(TENANT_PLACEHOLDER, tid)) continue;
      if (allowedTenants.has(tid)) return template;
      throw new TokenClaimsInvalid({
        detail: `tid ${quote(tid)} is not among the allowed tenants ${quote([...allowedTenants])} of ${template}`,
      });
    }
    const tenant = templates.length > 0 ? ` (tid ${quote(tid)})` : "";
    throw new TokenClaimsInvalid({
      detail: `iss ${quote(iss)}${tenant} is not among the configured issuers ${quote(issuers)}`,
    });
  }

  function keySetFor(claims: IssuerClaims): IssuerKeySet {
    const issuer = findIssuer(claims);
    let keySet = keySets.get(issuer);
    if (keySet === undefined) {
      keySet = createIssuerKeySet({
        ...keySetOptions,
        issuer,
        discoveryBase: isIssuerTemplate(issuer) ? issuer.replaceAll(TENANT_PLACEHOLDER, "common") : issuer,
      });
      keySets.set(issuer, keySet);
    }
    return keySet;
  }

  return {
    issuers,
    single,
    findIssuer,
    keySetFor,
    get version() {
      let sum = 0;
      for (const keySet of keySets.values()) sum += keySet.version;
      return sum;
    },
    statusByIssuer() {
      return Object.fromEntries(
        issuers.map((issuer) => [issuer, keySets.get(issuer)?.status() ?? "not_loaded"]),
      );
    },
    close() {
      for (const keySet of keySets.values()) keySet.close();
    },
  };
}

/**
 * One status for several issuers, as `/readyz` has always reported it: `stale` when any issuer's
 * keys are, else `loaded` when any has loaded, else `not_loaded`.
 */
export function combineKeysStatus(statuses: readonly KeysStatus[]): KeysStatus {
  if (statuses.includes("stale")) return "stale";
  return statuses.includes("loaded") ? "loaded" : "not_loaded";
}

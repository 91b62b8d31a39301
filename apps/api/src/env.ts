import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  ALLOWED_ALGORITHMS,
  AUTH_PROFILE_NAMES,
  applyProfile,
  CaFileInvalid,
  DEFAULT_DPOP_ALGORITHMS,
  DPOP_MODES,
  introspectionConfigSchema,
  isIssuerTemplate,
  issuerUrlSchema,
  readCaFile,
  type VerifierConfig,
  verifierConfigSchema,
} from "@quickstart/auth";
import { z } from "zod";
import { DEFAULT_MAX_BATCH_SIZE } from "./trpc-batch";

const flag = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((value) => value === "true" || value === "1");

/** A number variable within `bounds`; unset means the option's default. */
const optionalNumber = (bounds: z.ZodNumber) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value === "" ? undefined : Number(value)))
    .pipe(bounds.optional());

/** A number variable with the bounds of the verifier option it sets. */
const verifierNumber = (option: z.ZodDefault<z.ZodNumber>) => optionalNumber(option.unwrap());

const verifierOptions = verifierConfigSchema.shape;
const introspectionOptions = introspectionConfigSchema.shape;

/** Splits a comma-separated value; spaces around the commas and empty entries are ignored. */
const splitList = (value: string) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

/** A comma-separated list of asymmetric signing algorithms; unset means `defaults`. */
const algorithmList = (defaults: string) =>
  z
    .string()
    .optional()
    .transform((value) => splitList(value ?? defaults))
    .pipe(
      z
        .array(z.enum(ALLOWED_ALGORITHMS, { error: `must list only ${ALLOWED_ALGORITHMS.join(", ")}` }))
        .min(1),
    );

/** A comma-separated list of `item`s, at least one; unset stays undefined. */
const listOf = (item: z.ZodType<string, string>) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined ? undefined : splitList(value)))
    .pipe(z.array(item).min(1, "must list at least one value").optional());

/** Entra ID's tenant-independent names: none of them is a tenant, and no configuration accepts any tenant. */
const NOT_TENANTS = ["common", "organizations", "consumers", "*"];

const milliseconds = z.coerce
  .number({ message: "must be a number of milliseconds" })
  .int("must be a whole number of milliseconds")
  .min(0, "must be 0 or more milliseconds")
  .max(600_000, "must be at most 600000 milliseconds (10 minutes)");

const envSchema = z
  .object({
    // --- Which issuer the API trusts and how its tokens are verified (packages/auth's options) ---
    AUTHOK_DOMAIN: listOf(
      z
        .string()
        .regex(/^[a-z0-9.-]+(:\d+)?$/i, "must be a host name such as example.authok.cn (no scheme or path)"),
    ),
    AUTH_ISSUER: listOf(issuerUrlSchema),
    API_AUDIENCE: z
      .string({ error: "is required: the identifier of this API at the issuer" })
      .transform(splitList)
      .pipe(z.array(z.string()).min(1, "must list at least one identifier of this API")),
    /** Where the API fetches the first issuer's discovery and keys, when it reaches the issuer at another host. */
    AUTH_ISSUER_INTERNAL_URL: verifierOptions.fetchOrigins.unwrap().valueType.optional(),
    AUTH_PROFILE: z
      .enum(AUTH_PROFILE_NAMES, { error: `must be one of ${AUTH_PROFILE_NAMES.join(", ")}` })
      .optional(),
    AUTH_SCOPE_CLAIMS: listOf(
      z.string().regex(/^[^\s]+$/, "must list claim names such as scope,permissions"),
    ),
    AUTH_SCOPE_PREFIX: z.string().optional(),
    AUTH_CLIENT_IDS: listOf(z.string()),
    AUTH_TENANTS: listOf(
      z
        .string()
        .refine(
          (tenant) => !NOT_TENANTS.includes(tenant.toLowerCase()),
          `must list tenant IDs, not ${NOT_TENANTS.join(", ")}: no configuration accepts any tenant`,
        ),
    ),
    AUTH_JWKS_URI: z.url().optional(),
    AUTH_ALGORITHMS: algorithmList("RS256"),
    AUTH_CLOCK_TOLERANCE: verifierNumber(verifierOptions.clockTolerance),
    AUTH_STRICT_AT_JWT: flag,
    AUTH_JWKS_TIMEOUT_MS: verifierNumber(verifierOptions.fetchTimeoutMs),
    AUTH_JWKS_COOLDOWN_MS: verifierNumber(verifierOptions.fetchCooldownMs),
    AUTH_TOKEN_CACHE_SIZE: verifierNumber(verifierOptions.tokenCacheSize),
    AUTH_JWKS_MAX_AGE_S: optionalNumber(z.number().int().min(1).max(86_400)),
    AUTH_CA_FILE: z
      .string()
      .optional()
      .superRefine((path, ctx) => {
        if (!path) return;
        try {
          readCaFile(path);
        } catch (error) {
          if (!(error instanceof CaFileInvalid)) throw error;
          ctx.addIssue({ code: "custom", message: error.reason });
        }
      }),

    // --- Opaque tokens (RFC 7662 introspection); unset, a token that is not a JWT is refused ---
    AUTH_INTROSPECTION_CLIENT_ID: z.string().optional(),
    AUTH_INTROSPECTION_CLIENT_SECRET: z.string().optional(),
    AUTH_INTROSPECTION_URL: introspectionOptions.endpoint,
    AUTH_INTROSPECTION_CACHE_S: verifierNumber(introspectionOptions.cacheSeconds),
    AUTH_INTROSPECTION_MAX_CONCURRENT: verifierNumber(introspectionOptions.maxConcurrent),
    AUTH_INTROSPECTION_MAX_PER_SECOND: verifierNumber(introspectionOptions.maxPerSecond),

    // --- DPoP (RFC 9449): sender-constrained tokens and the replay store ---
    AUTH_DPOP: z.enum(DPOP_MODES, { error: "must be allowed, required or disabled" }).default("allowed"),
    AUTH_DPOP_ALGORITHMS: algorithmList(DEFAULT_DPOP_ALGORITHMS.join(",")),
    AUTH_DPOP_PROOF_WINDOW: z.coerce
      .number({ error: "must be a number of seconds (1-600)" })
      .int("must be a number of seconds (1-600)")
      .min(1, "must be a number of seconds (1-600)")
      .max(600, "must be a number of seconds (1-600)")
      .default(60),
    AUTH_DPOP_NONCE: flag,
    /** Shared by every replica so that each accepts the others' nonces; random per process when unset. */
    AUTH_DPOP_NONCE_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    /** Where replicas share the DPoP replay store; unset keeps it in this process's memory. */
    REDIS_URL: z
      .url({ error: "must be a URL such as redis://127.0.0.1:6379" })
      .refine((value) => /^rediss?:$/.test(new URL(value).protocol), "must start with redis:// or rediss://")
      .optional(),

    // --- The API's own server ---
    PORT: z.coerce.number().int().min(0).max(65535).default(3010),
    /**
     * Serves Prometheus metrics at `/metrics` on this port (on HOST, like the API), never on PORT;
     * unset turns metrics off.
     */
    METRICS_PORT: z.coerce
      .number({ error: "must be a port number (0-65535)" })
      .int("must be a port number (0-65535)")
      .min(0, "must be a port number (0-65535)")
      .max(65535, "must be a port number (0-65535)")
      .optional(),
    /** `localhost` listens on both 127.0.0.1 and ::1; set 0.0.0.0 in a container. */
    HOST: z.string().min(1).default("localhost"),
    /**
     * Where clients reach the API (its RFC 9728 `resource` and metadata URL); unset means
     * http://localhost:<PORT>. Never taken from a request's Host header, which a client chooses.
     */
    API_PUBLIC_URL: z
      .url({ error: "must be a URL such as https://api.example.com" })
      .refine(
        (value) => !URL.canParse(value) || /^https?:$/.test(new URL(value).protocol),
        "must use http: or https:",
      )
      .refine(
        (value) => !URL.canParse(value) || (new URL(value).search === "" && new URL(value).hash === ""),
        "must not have a query or fragment",
      )
      .transform((value) => value.replace(/\/+$/, ""))
      .optional(),
    /** Comma-separated origins allowed by CORS; unset or `*` allows any (bearer tokens, no cookies). */
    CORS_ORIGINS: z
      .string()
      .optional()
      .transform((value) => {
        const origins = splitList(value ?? "*");
        return origins.length === 0 || origins.includes("*") ? "*" : origins;
      }),
    /** At most this many calls in one tRPC batch request; a larger batch is refused with 400 before any runs. */
    TRPC_MAX_BATCH_SIZE: z.coerce
      .number({ error: "must be a whole number of calls (1-100)" })
      .int("must be a whole number of calls (1-100)")
      .min(1, "must be a whole number of calls (1-100)")
      .max(100, "must be a whole number of calls (1-100)")
      .default(DEFAULT_MAX_BATCH_SIZE),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** `json` (one object per line, for machines) or `pretty` (one readable line per request; `npm start` sets it). */
    LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
    /** After SIGTERM, how long to keep serving (with `/readyz` at 503) so load balancers stop routing here. */
    SHUTDOWN_DELAY_MS: milliseconds.default(0),
    /** Then how long requests in flight may take before they are abandoned and the process exits 1. */
    SHUTDOWN_TIMEOUT_MS: milliseconds.default(10_000),
  })
  // Also when other variables are wrong, so one run names every missing one.
  .superRefine(requireIssuerVariable, { when: () => true })
  .superRefine(requireIntrospectionClient, { when: () => true })
  .superRefine(requireTenantsWithTemplate)
  .refine(
    (env) => env.METRICS_PORT === undefined || env.METRICS_PORT === 0 || env.METRICS_PORT !== env.PORT,
    {
      path: ["METRICS_PORT"],
      message: "must differ from PORT: metrics are never served on the API's public port",
    },
  );

export type ApiEnv = z.output<typeof envSchema>;

/** One of the two issuer variables must be set. */
function requireIssuerVariable(
  env: { AUTHOK_DOMAIN?: string[] | undefined; AUTH_ISSUER?: string[] | undefined },
  ctx: z.RefinementCtx,
): void {
  if (!env.AUTHOK_DOMAIN && !env.AUTH_ISSUER) {
    ctx.addIssue({
      code: "custom",
      path: ["AUTHOK_DOMAIN"],
      message: "or AUTH_ISSUER is required: the issuer whose access tokens this API accepts",
    });
  }
}

/** The introspection settings are used only with both client variables: name the one missing. */
function requireIntrospectionClient(env: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const id = env.AUTH_INTROSPECTION_CLIENT_ID;
  const secret = env.AUTH_INTROSPECTION_CLIENT_SECRET;
  if (id && !secret) {
    ctx.addIssue({
      code: "custom",
      path: ["AUTH_INTROSPECTION_CLIENT_SECRET"],
      message: "is required with AUTH_INTROSPECTION_CLIENT_ID: the API's client secret at the issuer",
    });
  } else if (secret && !id) {
    ctx.addIssue({
      code: "custom",
      path: ["AUTH_INTROSPECTION_CLIENT_ID"],
      message: "is required with AUTH_INTROSPECTION_CLIENT_SECRET: the API's client id at the issuer",
    });
  } else if (!id) {
    const orphans = Object.keys(env).filter(
      (name) => name.startsWith("AUTH_INTROSPECTION_") && env[name] !== undefined,
    );
    for (const name of orphans) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "has no effect without AUTH_INTROSPECTION_CLIENT_ID and AUTH_INTROSPECTION_CLIENT_SECRET",
      });
    }
  }
}

/** A multi-tenant issuer template needs AUTH_TENANTS, and AUTH_TENANTS needs a template. */
function requireTenantsWithTemplate(
  env: { AUTH_ISSUER?: string[] | undefined; AUTH_TENANTS?: string[] | undefined },
  ctx: z.RefinementCtx,
): void {
  const templates = (env.AUTH_ISSUER ?? []).filter(isIssuerTemplate);
  if (templates.length > 0 && !env.AUTH_TENANTS) {
    ctx.addIssue({
      code: "custom",
      path: ["AUTH_TENANTS"],
      message: `is required with the issuer template ${templates.join(", ")} in AUTH_ISSUER: the tenant IDs whose tokens the API accepts`,
    });
  }
  if (templates.length === 0 && env.AUTH_TENANTS) {
    ctx.addIssue({
      code: "custom",
      path: ["AUTH_TENANTS"],
      message: "applies only to an issuer template with {tenantid} in AUTH_ISSUER, and there is none",
    });
  }
}

/** The issuers, from AUTH_ISSUER, else AUTHOK_DOMAIN (each `https://<domain>/`), in order. */
function issuersFromEnv(env: Pick<ApiEnv, "AUTH_ISSUER" | "AUTHOK_DOMAIN">): string[] {
  return env.AUTH_ISSUER ?? (env.AUTHOK_DOMAIN ?? []).map((domain) => `https://${domain}/`);
}

/** The verifier's options from the validated environment. */
export function verifierConfigFromEnv(env: ApiEnv): VerifierConfig {
  const issuers = issuersFromEnv(env);
  const first = issuers[0] as string;
  return {
    issuer: issuers,
    audience: env.API_AUDIENCE,
    tenants: env.AUTH_TENANTS,
    profile: env.AUTH_PROFILE,
    scopeClaims: env.AUTH_SCOPE_CLAIMS,
    scopePrefix: env.AUTH_SCOPE_PREFIX,
    clientIds: env.AUTH_CLIENT_IDS,
    // The first issuer's public origin (what tokens and browsers use) is fetched at the internal one.
    fetchOrigins: env.AUTH_ISSUER_INTERNAL_URL
      ? { [new URL(first).origin]: env.AUTH_ISSUER_INTERNAL_URL }
      : undefined,
    jwksUri: env.AUTH_JWKS_URI,
    algorithms: env.AUTH_ALGORITHMS,
    clockTolerance: env.AUTH_CLOCK_TOLERANCE,
    strictAccessTokenProfile: env.AUTH_STRICT_AT_JWT,
    fetchTimeoutMs: env.AUTH_JWKS_TIMEOUT_MS,
    fetchCooldownMs: env.AUTH_JWKS_COOLDOWN_MS,
    tokenCacheSize: env.AUTH_TOKEN_CACHE_SIZE,
    jwksMaxAgeMs: env.AUTH_JWKS_MAX_AGE_S === undefined ? undefined : env.AUTH_JWKS_MAX_AGE_S * 1000,
    caFile: env.AUTH_CA_FILE,
    introspection:
      env.AUTH_INTROSPECTION_CLIENT_ID && env.AUTH_INTROSPECTION_CLIENT_SECRET
        ? {
            clientId: env.AUTH_INTROSPECTION_CLIENT_ID,
            clientSecret: env.AUTH_INTROSPECTION_CLIENT_SECRET,
            endpoint: env.AUTH_INTROSPECTION_URL,
            cacheSeconds: env.AUTH_INTROSPECTION_CACHE_S,
            maxConcurrent: env.AUTH_INTROSPECTION_MAX_CONCURRENT,
            maxPerSecond: env.AUTH_INTROSPECTION_MAX_PER_SECOND,
          }
        : undefined,
  };
}

/**
 * The authentication settings in effect (profile defaults filled in), for the one start-up log line
 * that says how tokens are checked.
 */
export function describeAuthSettings(config: VerifierConfig) {
  const { scopeClaims } = applyProfile({ profile: config.profile, scopeClaims: config.scopeClaims });
  const list = (value: string | readonly string[] | undefined) =>
    value === undefined ? [] : typeof value === "string" ? [value] : [...value];
  return {
    issuers: list(config.issuer),
    audiences: list(config.audience),
    profile: config.profile ?? "none",
    scopeClaims,
    scopePrefix: config.scopePrefix,
    clientIds: list(config.clientIds),
    tenants: list(config.tenants),
    fetchOrigins: config.fetchOrigins,
    jwksUri: config.jwksUri,
    // Never the client secret.
    introspection: config.introspection && {
      clientId: config.introspection.clientId,
      endpoint: config.introspection.endpoint ?? "discovery",
      cacheS: config.introspection.cacheSeconds,
      maxConcurrent: config.introspection.maxConcurrent,
      maxPerSecond: config.introspection.maxPerSecond,
    },
  };
}

/**
 * Validates the API's environment: the parsed values, or one line per problem naming the variable.
 * Empty values count as unset.
 */
export function parseEnv(
  source: Record<string, string | undefined>,
): { env: ApiEnv } | { problems: string[] } {
  const values = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = envSchema.safeParse(values);
  if (result.success) return { env: result.data };
  return {
    problems: result.error.issues.map((issue) => `${describePath(issue.path, values)} ${issue.message}`),
  };
}

/** The variable an issue is about; for one entry of a list of several, which entry. */
function describePath(path: readonly PropertyKey[], values: Record<string, string | undefined>): string {
  const [name, index] = path;
  if (name === undefined) return "environment";
  const items = splitList(values[String(name)] ?? "");
  if (typeof index !== "number" || items.length < 2) return String(name);
  return `${String(name)} entry ${index + 1} (${JSON.stringify(items[index])})`;
}

/**
 * Reads and validates the API's environment. On a bad or missing variable it prints one line per
 * problem, naming the variable, and exits.
 */
export function readEnv(source: NodeJS.ProcessEnv = process.env): ApiEnv {
  // The repo root's .env fills in what the environment leaves unset (from src/ and from dist/ alike).
  const dotEnv = fileURLToPath(new URL("../../../.env", import.meta.url));
  if (source === process.env && existsSync(dotEnv)) process.loadEnvFile(dotEnv);
  const parsed = parseEnv(source);
  if ("env" in parsed) return parsed.env;
  for (const problem of parsed.problems) console.error(`Invalid configuration: ${problem}`);
  console.error("See .env.example for every variable and its default.");
  process.exit(1);
}

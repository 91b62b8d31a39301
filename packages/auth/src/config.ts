import { z } from "zod";

/** Asymmetric algorithms only: HMAC (`HS*`) and `none` can never be allowed (RFC 8725 §3.1, §3.2). */
export const ALLOWED_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;

export type SigningAlgorithm = (typeof ALLOWED_ALGORITHMS)[number];

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
}

/** An issuer identifier: https (http only on loopback), no query or fragment. */
export const issuerUrlSchema = z
  .url({ error: "must be a URL such as https://example.authok.cn/" })
  .refine((value) => {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
  }, "must use https: (http: is allowed only for localhost and 127.0.0.1)")
  .refine((value) => {
    const url = new URL(value);
    return url.search === "" && url.hash === "";
  }, "must not have a query or fragment");

/** Options of {@link createAccessTokenVerifier}. */
export const verifierConfigSchema = z.object({
  /** Compared exactly with the token's `iss`, e.g. `https://example.authok.cn/` (trailing slash). */
  issuer: issuerUrlSchema,
  /** The API's identifier; the token's `aud` must be it or contain it. */
  audience: z.string().min(1),
  /** Skips discovery when set. */
  jwksUri: z.url().optional(),
  algorithms: z.array(z.enum(ALLOWED_ALGORITHMS)).min(1).default(["RS256"]),
  /** Seconds of leeway for `exp`, `nbf` and `iat`. */
  clockTolerance: z.number().int().min(0).max(300).default(5),
  /** RFC 9068 profile: `typ: at+jwt` and all its required claims. */
  strictAccessTokenProfile: z.boolean().default(false),
  /** How long one discovery or JWKS request may take. */
  fetchTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
  /** The least time between two key-set fetches triggered by unknown `kid`s or by failures. */
  fetchCooldownMs: z.number().int().min(0).max(3_600_000).default(30_000),
  /** How many verified tokens to remember until their exp, so a repeated token skips the signature check; 0 disables. */
  tokenCacheSize: z.number().int().min(0).max(1_000_000).default(10_000),
});

export type VerifierConfig = z.input<typeof verifierConfigSchema>;

const flag = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((value) => value === "true" || value === "1");

/** A number variable with the bounds of the verifier option it sets; unset means that option's default. */
const optionalNumber = (option: z.ZodDefault<z.ZodNumber>) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value === "" ? undefined : Number(value)))
    .pipe(option.unwrap().optional());

const options = verifierConfigSchema.shape;

/**
 * The environment variables this package owns. Apps merge it into their own `env.ts` schema and
 * turn the result into a verifier config with {@link verifierConfigFromEnv}.
 */
export const authEnvSchema = z.object({
  AUTHOK_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+(:\d+)?$/i, "must be a host name such as example.authok.cn (no scheme or path)")
    .optional(),
  AUTH_ISSUER: issuerUrlSchema.optional(),
  API_AUDIENCE: z.string({ error: "is required: the identifier of this API at the issuer" }).min(1),
  AUTH_JWKS_URI: z.url().optional(),
  AUTH_ALGORITHMS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? "RS256")
        .split(",")
        .map((alg) => alg.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(z.enum(ALLOWED_ALGORITHMS, { error: `must list only ${ALLOWED_ALGORITHMS.join(", ")}` }))
        .min(1),
    ),
  AUTH_CLOCK_TOLERANCE: optionalNumber(options.clockTolerance),
  AUTH_STRICT_AT_JWT: flag,
  AUTH_JWKS_TIMEOUT_MS: optionalNumber(options.fetchTimeoutMs),
  AUTH_JWKS_COOLDOWN_MS: optionalNumber(options.fetchCooldownMs),
  AUTH_TOKEN_CACHE_SIZE: optionalNumber(options.tokenCacheSize),
});

export type AuthEnv = z.output<typeof authEnvSchema>;

/** Turns validated environment variables into a verifier config. */
export function verifierConfigFromEnv(env: AuthEnv): VerifierConfig {
  return {
    issuer: env.AUTH_ISSUER ?? `https://${env.AUTHOK_DOMAIN}/`,
    audience: env.API_AUDIENCE,
    jwksUri: env.AUTH_JWKS_URI,
    algorithms: env.AUTH_ALGORITHMS,
    clockTolerance: env.AUTH_CLOCK_TOLERANCE,
    strictAccessTokenProfile: env.AUTH_STRICT_AT_JWT,
    fetchTimeoutMs: env.AUTH_JWKS_TIMEOUT_MS,
    fetchCooldownMs: env.AUTH_JWKS_COOLDOWN_MS,
    tokenCacheSize: env.AUTH_TOKEN_CACHE_SIZE,
  };
}

/** Zod refinement for an app's env schema: one of the two issuer variables must be set. */
export function requireIssuerVariable(
  env: { AUTHOK_DOMAIN?: string | undefined; AUTH_ISSUER?: string | undefined },
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

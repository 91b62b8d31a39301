import { z } from "zod";
import { AUTH_PROFILE_NAMES } from "./profiles";

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

/** Whether a URL's `hostname` is this machine's: `localhost`, `127.0.0.1` or `[::1]`. */
export function isLoopback(hostname: string): boolean {
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

/** Where the API sends a client secret: https (http only on loopback). */
const secretSafeUrlSchema = z
  .url({ error: "must be a URL such as https://example.authok.cn/oauth2/v1/introspect" })
  .refine((value) => {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
  }, "must use https: (http: is allowed only for localhost and 127.0.0.1)");

/** Options of {@link createTokenIntrospector}: how tokens that are not JWTs are checked (RFC 7662). */
export const introspectionConfigSchema = z.object({
  /** The API's client at the issuer, sent with HTTP Basic (RFC 7662 §2.1). */
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** The introspection endpoint; unset means the first issuer's discovery `introspection_endpoint`. */
  endpoint: secretSafeUrlSchema.optional(),
  /** How long an active answer without `exp` is trusted; one with `exp` is trusted until then. */
  cacheSeconds: z.number().int().min(1).max(86_400).default(60),
  /** Introspection calls in flight at once; past it requests get 503 and no call is made. */
  maxConcurrent: z.number().int().min(1).max(1000).default(10),
  /** Introspection calls started per second, on average; past it requests get 503 and no call is made. */
  maxPerSecond: z.number().int().min(1).max(10_000).default(20),
});

export type IntrospectionConfig = z.input<typeof introspectionConfigSchema>;

/** One value or a non-empty list of them, always a list once parsed. */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((value) => (Array.isArray(value) ? value : [value]));

/** A URL made only of scheme, host and port, where requests to an issuer's origin are sent instead. */
const originSchema = z
  .url({ error: "must be a URL such as http://issuer:3020" })
  .refine((value) => /^https?:$/.test(new URL(value).protocol), "must use http: or https:")
  .refine((value) => ["", "/"].includes(new URL(value).pathname), "must be an origin, without a path")
  .transform((value) => new URL(value).origin);

/** Options of {@link createAccessTokenVerifier}. */
export const verifierConfigSchema = z
  .object({
    /**
     * Compared exactly with the token's `iss`, e.g. `https://example.authok.cn/` (trailing slash). A
     * list accepts tokens from each; an entry with {@link TENANT_PLACEHOLDER} is a multi-tenant
     * template, which needs `tenants`.
     */
    issuer: oneOrMany(issuerUrlSchema),
    /** The API's identifiers; the token's `aud` must be one of them or contain one. */
    audience: oneOrMany(z.string().min(1)),
    /** The tenant IDs (`tid`) a multi-tenant issuer template accepts; none accepts no tenant. */
    tenants: z.array(z.string().min(1)).default([]),
    /** A preset for one identity provider (see profiles.ts); explicit options win over it. */
    profile: z.enum(AUTH_PROFILE_NAMES).optional(),
    /** The claims scopes are read from, in order; default `scope`, `permissions` (or the profile's). */
    scopeClaims: z.array(z.string().min(1)).min(1).optional(),
    /** Only granted scopes starting with this count, with it removed (Cognito's `<resource-server>/`). */
    scopePrefix: z.string().min(1).optional(),
    /** Tokens without `aud` are accepted when their `client_id` is one of these and `token_use` is `access`. */
    clientIds: z.array(z.string().min(1)).default([]),
    /** Requests to an issuer's origin (the key) go to this origin instead (a host name inside a container network). */
    fetchOrigins: z.record(z.string(), originSchema).default({}),
    /** Skips discovery when set; with several issuers, each fetches it (for issuers that share keys). */
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
    /** Once the issuer's keys are this old they are refreshed in the background; a key the issuer removed is refused after at most about this long. */
    jwksMaxAgeMs: z.number().int().min(100).max(86_400_000).default(600_000),
    /** How many verified tokens to remember until their exp, so a repeated token skips the signature check; 0 disables. */
    tokenCacheSize: z.number().int().min(0).max(1_000_000).default(10_000),
    /** A PEM file with the CA that signed the issuer's TLS certificate, trusted besides Node's own CAs. */
    caFile: z.string().min(1).optional(),
    /** RFC 7662 introspection for tokens that are not JWTs; unset refuses them, as a malformed token. */
    introspection: introspectionConfigSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const templates = config.issuer.filter(isIssuerTemplate);
    if (templates.length > 0 && config.tenants.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["tenants"],
        message: `an issuer template (${templates.join(", ")}) needs the list of tenant IDs it accepts`,
      });
    }
    const repeated = config.issuer.filter((issuer, index) => config.issuer.indexOf(issuer) !== index);
    if (repeated.length > 0) {
      ctx.addIssue({ code: "custom", path: ["issuer"], message: `lists ${repeated.join(", ")} twice` });
    }
  });

/** The placeholder of a multi-tenant issuer template, as Entra ID's discovery publishes it. */
export const TENANT_PLACEHOLDER = "{tenantid}";

/** True for a multi-tenant issuer template such as `https://login.microsoftonline.com/{tenantid}/v2.0`. */
export function isIssuerTemplate(issuer: string): boolean {
  return issuer.includes(TENANT_PLACEHOLDER);
}

export type VerifierConfig = z.input<typeof verifierConfigSchema>;

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
  /** Once the issuer's keys are this old they are refreshed in the background; a key the issuer removed is refused after at most about this long. */
  jwksMaxAgeMs: z.number().int().min(100).max(86_400_000).default(600_000),
  /** How many verified tokens to remember until their exp, so a repeated token skips the signature check; 0 disables. */
  tokenCacheSize: z.number().int().min(0).max(1_000_000).default(10_000),
  /** A PEM file with the CA that signed the issuer's TLS certificate, trusted besides Node's own CAs. */
  caFile: z.string().min(1).optional(),
  /** RFC 7662 introspection for tokens that are not JWTs; unset refuses them, as a malformed token. */
  introspection: introspectionConfigSchema.optional(),
});

export type VerifierConfig = z.input<typeof verifierConfigSchema>;

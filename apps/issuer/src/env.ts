import { fileURLToPath } from "node:url";
import { z } from "zod";

/** `<repo root>/.data/issuer`: git-ignored, so generated keys and secrets never get committed. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../../../.data/issuer", import.meta.url));

/** What the issuer's access tokens are: signed JWTs (the default) or opaque strings for introspection. */
export const ACCESS_TOKEN_FORMATS = ["jwt", "opaque"] as const;
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number];

const originSchema = z.string().refine((value) => URL.parse(value)?.origin === value, {
  message: "must be a comma-separated list of origins such as http://localhost:3000",
});
const PORT_MESSAGE = "must be a port number (0-65535)";
const AUDIENCE_MESSAGE =
  "must be an absolute URI such as https://quickstarts/api, or a comma-separated list of them";

/** A comma-separated list of origins (trailing slashes dropped), `fallback` when unset. */
const originList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean)
        .map((origin) => origin.replace(/\/$/, "")),
    )
    .pipe(z.array(originSchema).min(1, "must name at least one origin"));

const issuerEnvSchema = z.object({
  ISSUER_PORT: z.coerce
    .number({ message: PORT_MESSAGE })
    .int(PORT_MESSAGE)
    .min(0, PORT_MESSAGE)
    .max(65535, PORT_MESSAGE)
    .default(3020),
  /** `localhost` listens on 127.0.0.1 and ::1; `0.0.0.0` in a container. Tokens still name `http://localhost:<port>/`. */
  ISSUER_HOST: z.string().min(1).default("localhost"),
  /**
   * The API's identifiers: each is a valid `resource`/`audience` and becomes a token's `aud`; the
   * first is the default. One API may have several names, such as its MCP endpoint's URL.
   */
  API_AUDIENCE: z
    .string()
    .default("https://quickstarts/api")
    .transform((value) => [...new Set(value.split(",").map((uri) => uri.trim()))].filter(Boolean))
    .pipe(z.array(z.url({ message: AUDIENCE_MESSAGE })).min(1, AUDIENCE_MESSAGE)),
  WEB_ORIGIN: originList("http://localhost:3000"),
  API_ORIGIN: originList("http://localhost:3010"),
  ISSUER_DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  /** `jwt` (unset) or `opaque`: opaque access tokens, checked by the API through introspection. */
  ISSUER_ACCESS_TOKEN_FORMAT: z
    .enum(ACCESS_TOKEN_FORMATS, { message: 'must be "jwt" or "opaque"' })
    .optional(),
  ALLOW_DEV_ISSUER_IN_PRODUCTION: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("false")
    .transform((value) => value === "true"),
  NODE_ENV: z.string().optional(),
});

/** The embedded issuer's settings, validated. */
export type IssuerEnv = z.output<typeof issuerEnvSchema>;

/** Thrown by {@link parseIssuerEnv}; `message` is one line naming the variable. */
export class IssuerEnvError extends Error {
  override name = "IssuerEnvError";
}

/**
 * Validates the issuer's variables from `source` (empty values count as unset).
 * Throws {@link IssuerEnvError} with one line such as `ISSUER_PORT must be a port number (0-65535)`.
 */
export function parseIssuerEnv(source: Record<string, string | undefined>): IssuerEnv {
  const values = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = issuerEnvSchema.safeParse(values);
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `${String(issue.path[0] ?? "environment")} ${issue.message}`,
  );
  throw new IssuerEnvError(`Invalid configuration: ${[...new Set(lines)].join("; ")}`);
}

/** {@link parseIssuerEnv} over `process.env`. */
export function readIssuerEnv(): IssuerEnv {
  return parseIssuerEnv(process.env);
}

/**
 * Why the development issuer must not start here, or `undefined` when it may. Its users and
 * passwords are public, so it refuses `NODE_ENV=production` unless explicitly allowed.
 */
export function devIssuerRefusal(env: IssuerEnv): string | undefined {
  if (env.NODE_ENV !== "production" || env.ALLOW_DEV_ISSUER_IN_PRODUCTION) return undefined;
  return (
    "Refusing to start the development issuer with NODE_ENV=production: its demo users and passwords are public. " +
    "Point AUTH_ISSUER at a real issuer, or set ALLOW_DEV_ISSUER_IN_PRODUCTION=true if you really mean it."
  );
}

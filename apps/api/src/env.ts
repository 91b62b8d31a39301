import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { authEnvSchema, requireIssuerVariable } from "@quickstart/auth";
import { z } from "zod";

const envSchema = z
  .object({
    ...authEnvSchema.shape,
    PORT: z.coerce.number().int().min(0).max(65535).default(3010),
    /** `localhost` listens on both 127.0.0.1 and ::1; set 0.0.0.0 in a container. */
    HOST: z.string().min(1).default("localhost"),
    /** Comma-separated origins allowed by CORS; unset or `*` allows any (bearer tokens, no cookies). */
    CORS_ORIGINS: z
      .string()
      .optional()
      .transform((value) => {
        const origins = (value ?? "*")
          .split(",")
          .map((origin) => origin.trim())
          .filter(Boolean);
        return origins.length === 0 || origins.includes("*") ? "*" : origins;
      }),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  // Also when other variables are wrong, so one run names every missing one.
  .superRefine(requireIssuerVariable, { when: () => true });

export type ApiEnv = z.output<typeof envSchema>;

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
    problems: result.error.issues.map((issue) => `${issue.path.join(".") || "environment"} ${issue.message}`),
  };
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

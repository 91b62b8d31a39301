import { existsSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Loads the `.env` of the working directory into `process.env` without overriding what the
 * environment already sets. pnpm runs the root scripts in the repo root, so that is the root's
 * `.env`, the one the API (apps/api/src/env.ts) and the web build read; a test runs a script
 * elsewhere to give it another one.
 */
export function loadRootEnv(): void {
  const path = resolve(".env");
  if (existsSync(path)) process.loadEnvFile(path);
}

/**
 * The first entry of a comma-separated variable (AUTH_ISSUER, AUTHOK_DOMAIN, API_AUDIENCE accept
 * lists): where a script logs in, and for which API. Undefined when unset or empty.
 */
export function firstOfList(value: string | undefined): string | undefined {
  return value
    ?.split(",")
    .map((item) => item.trim())
    .find(Boolean);
}

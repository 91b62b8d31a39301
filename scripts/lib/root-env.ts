import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Loads the repo root's `.env` into `process.env` without overriding what the environment already
 * sets, as the API (apps/api/src/env.ts) and the web build (apps/web/vite.config.ts) do.
 */
export function loadRootEnv(): void {
  const path = fileURLToPath(new URL("../../.env", import.meta.url));
  if (existsSync(path)) process.loadEnvFile(path);
}

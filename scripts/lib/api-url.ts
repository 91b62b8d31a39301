/** The API's default port, as apps/api/src/env.ts has it. */
export const DEFAULT_API_PORT = 3010;

/**
 * Where `npm start` tells the web app the API is, and where `pnpm call` calls it: `API_URL`, else
 * `http://localhost:<PORT>` (default 3010). No trailing slash.
 */
export function apiUrlFromEnv(env: NodeJS.ProcessEnv): string {
  const explicit = env.API_URL?.trim();
  if (explicit) return explicit.replace(/\/+$/, "");
  return `http://localhost:${env.PORT?.trim() || DEFAULT_API_PORT}`;
}

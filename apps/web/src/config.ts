import { createContext, use } from "react";
import { CONFIG_PATH, parseWebConfig, type WebConfig } from "./env";

/**
 * Fetches and checks the run-time configuration (issuer, audience, client id and API URL; see
 * env.ts) that whatever serves the SPA renders next to index.html.
 *
 * @throws {Error} saying what went wrong, meant to be shown on the page.
 */
export async function loadConfig(): Promise<WebConfig> {
  let response: Response;
  try {
    response = await fetch(CONFIG_PATH, { cache: "no-store" });
  } catch (error) {
    throw new Error(`Could not fetch ${CONFIG_PATH} (${(error as Error).message}).`);
  }
  if (!response.ok) {
    throw new Error(
      `${CONFIG_PATH} answered ${response.status}: the server of this app must render it (see README, "The web app").`,
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new Error(`${CONFIG_PATH} is not JSON.`);
  }
  return parseWebConfig(body);
}

export const ConfigContext = createContext<WebConfig | null>(null);

/** The configuration main.tsx loaded before the first render. */
export function useConfig(): WebConfig {
  const config = use(ConfigContext);
  if (!config) throw new Error("useConfig must be used inside <ConfigContext>");
  return config;
}

/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv, type UserConfig } from "vite";
import { initialJsBudget } from "./plugins/initial-js-budget.ts";
import { runtimeConfig } from "./plugins/runtime-config.ts";
import { baseSecurityHeaders, securityHeaders } from "./plugins/security-headers.ts";
import { parseWebEnv, WebEnvError } from "./src/env.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export default defineConfig(({ command, mode, isPreview }): UserConfig => {
  const shared: UserConfig = {
    plugins: [react(), initialJsBudget({ limitKb: 150 })],
    test: { include: ["src/**/*.test.ts", "plugins/**/*.test.ts"], environment: "node" },
  };
  // The build holds no configuration: the SPA fetches /config.json when it starts.
  if (command === "build" && !isPreview) return shared;

  // Prefix "" reads every variable (process.env and the root .env); only the validated, public
  // ones reach the browser, through /config.json.
  let env: ReturnType<typeof parseWebEnv>;
  try {
    env = parseWebEnv(loadEnv(mode, repoRoot, ""));
  } catch (error) {
    if (!(error instanceof WebEnvError)) throw error;
    // One clear message instead of Vite's "failed to load config" and a stack trace.
    console.error(error.message);
    process.exit(1);
  }
  const { webPort, ...config } = env;
  return {
    ...shared,
    plugins: [...(shared.plugins ?? []), runtimeConfig(config)],
    server: { port: webPort, strictPort: true, headers: baseSecurityHeaders() },
    preview: { port: webPort, strictPort: true, headers: securityHeaders(config) },
  };
});

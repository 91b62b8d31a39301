/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";
import { initialJsBudget } from "./plugins/initial-js-budget.ts";
import { baseSecurityHeaders, cspMetaTag, securityHeaders } from "./plugins/security-headers.ts";
import { parseWebEnv } from "./src/env.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export default defineConfig(({ mode }) => {
  // Prefix "" reads every variable (process.env and the root .env); only the validated, public
  // ones below reach the bundle, through `define`.
  const { webPort, ...config } = parseWebEnv(loadEnv(mode, repoRoot, ""));

  return {
    plugins: [react(), cspMetaTag(config), initialJsBudget({ limitKb: 150 })],
    define: { __WEB_CONFIG__: JSON.stringify(config) },
    server: { port: webPort, strictPort: true, headers: baseSecurityHeaders() },
    preview: { port: webPort, strictPort: true, headers: securityHeaders(config) },
    test: { include: ["src/**/*.test.ts", "plugins/**/*.test.ts"], environment: "node" },
  };
});

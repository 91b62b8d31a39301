import { defineConfig } from "@playwright/test";

/** Debian's Chromium (apt-get install chromium), not a browser downloaded by Playwright. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "./test",
  testMatch: "*.test.ts",
  // One browser, one stack, scenarios in order (log in, log out, log in as someone else).
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  outputDir: "./artifacts/test-results",
  // Starts the issuer, the API and the production build of the SPA on free ports; its return value
  // stops them.
  globalSetup: "./test/global-setup.ts",
  use: {
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
});

import { mkdirSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";

/** Set by global-setup.ts: where the stack listens in this run. */
export const WEB_URL = process.env.E2E_WEB_URL as string;
export const API_URL = process.env.E2E_API_URL as string;
export const ISSUER_URL = process.env.E2E_ISSUER_URL as string;
/** The embedded issuer's machine client (a throw-away secret made for this run). */
export const MACHINE_CLIENT = {
  clientId: process.env.E2E_MACHINE_CLIENT_ID as string,
  clientSecret: process.env.E2E_MACHINE_CLIENT_SECRET as string,
};

const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;

export const PUBLIC_CALLS = ["trpc-public", "rest-public"];
export const PRIVATE_CALLS = ["trpc-private", "rest-private"];
export const SCOPED_CALLS = ["trpc-private-scoped", "rest-private-scoped"];
export const ALL_CALLS = [...PUBLIC_CALLS, ...PRIVATE_CALLS, ...SCOPED_CALLS];

/**
 * Collects console errors and warnings, uncaught errors and CSP violations seen while the page is
 * on the SPA (the issuer's pages are not under test here). Empty the returned array to reset it.
 */
export async function watchSpaPage(page: Page): Promise<string[]> {
  const problems: string[] = [];
  const onSpa = () => page.url().startsWith(WEB_URL);
  page.on("console", (message) => {
    if (!onSpa() || (message.type() !== "error" && message.type() !== "warning")) return;
    // Chromium logs every 4xx fetch response; the API's 401s and 403s are what the test provokes.
    const refusedByApi =
      message.location().url.startsWith(API_URL) && /status of 40[13] /.test(message.text());
    if (!refusedByApi)
      problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => {
    if (onSpa()) problems.push(`uncaught: ${error.message}`);
  });
  await watchCspViolations(page, problems);
  return problems;
}

/** Adds `CSP: <directive> blocked <URI> on <page>` to `problems` for each violation on any page. */
export async function watchCspViolations(page: Page, problems: string[]): Promise<void> {
  // Bindings and init scripts run outside the page's CSP, so they see every violation.
  await page.exposeFunction("reportCspViolation", (violation: string) => problems.push(`CSP: ${violation}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { reportCspViolation: (text: string) => void }).reportCspViolation;
      report(`${event.effectiveDirective} blocked ${event.blockedURI} on ${event.documentURI}`);
    });
  });
}

/**
 * In every test of the calling file: watches the page with {@link watchSpaPage} from the start,
 * and fails the test if anything was seen. Call it before the file's own `beforeEach`.
 */
export function failOnSpaProblems(): void {
  let problems: string[] = [];
  test.beforeEach(async ({ page }) => {
    problems = await watchSpaPage(page);
  });
  test.afterEach(() => {
    expect(problems, "no console errors, uncaught errors or CSP violations on the SPA").toEqual([]);
  });
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** Clicks "Run all" and waits until each of the six results has an answer. */
export async function runAllCalls(page: Page) {
  await page.getByRole("button", { name: "Run all" }).click();
  for (const id of ALL_CALLS) {
    await expect(page.getByTestId(`result-${id}`)).not.toHaveAttribute("data-state", /idle|loading/);
  }
}

export async function expectResult(page: Page, id: string, ...texts: string[]) {
  const result = page.getByTestId(`result-${id}`);
  for (const text of texts) await expect(result).toContainText(text);
}

/** Fills and submits the issuer's login form. */
export async function submitLogin(page: Page, username: string, password: string) {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Clicks the SPA's "Log in" and waits for the issuer's page. */
export async function goToLogin(page: Page) {
  await page.getByRole("button", { name: "Log in" }).first().click();
  await page.waitForURL((url) => !url.href.startsWith(WEB_URL));
}

/** Waits for the SPA to show the user, back at its root with the code and state gone from the URL. */
export async function expectLoggedIn(page: Page, displayName: string) {
  await expect(page.getByTestId("user-name")).toHaveText(displayName);
  await expect(page).toHaveURL(`${WEB_URL}/`);
}

export async function logIn(page: Page, username: string, password: string, displayName: string) {
  await goToLogin(page);
  await submitLogin(page, username, password);
  await expectLoggedIn(page, displayName);
}

export const storedUserCount = (page: Page) =>
  page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith("oidc.user:")).length);

export const storedAccessToken = (page: Page) =>
  page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((name) => name.startsWith("oidc.user:"));
    return key
      ? (JSON.parse(sessionStorage.getItem(key) ?? "{}") as { access_token?: string }).access_token
      : undefined;
  });

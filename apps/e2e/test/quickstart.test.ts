import { expect, type Page, test } from "@playwright/test";
import { MESSAGES } from "@quickstart/api";
import {
  API_URL,
  expectLoggedIn,
  expectResult,
  goToLogin,
  logIn,
  PRIVATE_CALLS,
  PUBLIC_CALLS,
  runAllCalls,
  SCOPED_CALLS,
  screenshot,
  storedUserCount,
  submitLogin,
  WEB_URL,
  watchSpaPage,
} from "./spa-page";

// One page through the whole story: logged out, alice, logged out again, bob.
test.describe.configure({ mode: "serial" });

let page: Page;
let problems: string[];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  problems = await watchSpaPage(page);
});

test.afterAll(async () => {
  await page.close();
});

test.afterEach(() => {
  expect(problems, "no console errors, uncaught errors or CSP violations on the SPA").toEqual([]);
  problems.length = 0;
});

test("logged out: public calls succeed, private calls answer 401 authorization_header_missing", async () => {
  const response = await page.goto(`${WEB_URL}/`);
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain(`connect-src 'self' ${API_URL}`);
  await expect(page.getByRole("heading", { name: "Not logged in" })).toBeVisible();

  await runAllCalls(page);
  for (const id of PUBLIC_CALLS) await expectResult(page, id, "200 OK", MESSAGES.public);
  for (const id of [...PRIVATE_CALLS, ...SCOPED_CALLS]) {
    await expectResult(page, id, "401 Unauthorized", "authorization_header_missing");
  }
  await screenshot(page, "01-logged-out");
});

test("a wrong password shows the login page's error", async () => {
  await goToLogin(page);
  await submitLogin(page, "alice", "not-the-password");
  await expect(page.getByRole("alert")).toContainText("Wrong username or password");
  await screenshot(page, "02-wrong-password");
});

test("alice (granted read:messages): all six calls succeed", async () => {
  // Still on the issuer's login page after the failed attempt: the same sign-in goes on.
  await submitLogin(page, "alice", "wonderland");
  await expectLoggedIn(page, "Alice Liddell");
  await expect(page.getByTestId("token-scopes")).toContainText("read:messages");

  await runAllCalls(page);
  for (const id of PUBLIC_CALLS) await expectResult(page, id, "200 OK", MESSAGES.public);
  for (const id of PRIVATE_CALLS) await expectResult(page, id, "200 OK", MESSAGES.private);
  for (const id of SCOPED_CALLS) await expectResult(page, id, "200 OK", MESSAGES.privateScoped);

  // Tokens live in this tab's sessionStorage, never in localStorage.
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
  expect(await storedUserCount(page)).toBe(1);
  await screenshot(page, "03-alice");
});

test("log out ends the session at the issuer and returns to the SPA", async () => {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL((url) => !url.href.startsWith(WEB_URL));
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Not logged in" })).toBeVisible();
  await expect(page).toHaveURL(`${WEB_URL}/`);
  expect(await storedUserCount(page)).toBe(0);
  await screenshot(page, "04-logged-out-again");
});

test("bob (no read:messages): private calls succeed, scoped calls answer 403 Unauthorized", async () => {
  // The issuer's session ended with the logout, so its login page is shown again.
  await logIn(page, "bob", "builder", "Bob the Builder");
  await expect(page.getByTestId("token-scopes")).not.toContainText("read:messages");

  await runAllCalls(page);
  for (const id of PUBLIC_CALLS) await expectResult(page, id, "200 OK", MESSAGES.public);
  for (const id of PRIVATE_CALLS) await expectResult(page, id, "200 OK", MESSAGES.private);
  for (const id of SCOPED_CALLS)
    await expectResult(page, id, "403 Forbidden", "Unauthorized", "您没有权限访问当前资源");
  await screenshot(page, "05-bob");
});

test("the CSP blocks requests to other origins, and this test would notice", async () => {
  await page.evaluate(() => fetch("https://blocked.example/").catch(() => undefined));
  await expect.poll(() => problems.join("\n")).toContain("CSP: connect-src blocked https://blocked.example/");
  // Chromium's own console report of the same violation.
  await expect.poll(() => problems.join("\n")).toContain("Refused to connect");
  problems.length = 0; // expected here
});

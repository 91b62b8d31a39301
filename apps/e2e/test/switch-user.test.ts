import { expect, test } from "@playwright/test";
import {
  expectLoggedIn,
  expectResult,
  failOnSpaProblems,
  logIn,
  screenshot,
  submitLogin,
  WEB_URL,
} from "./spa-page";

// A fresh context: no issuer session until alice logs in.
failOnSpaProblems();

/** Logs out of the SPA, choosing "Stay signed in" on the issuer's page: its session lives on. */
async function logOutStayingSignedIn(page: import("@playwright/test").Page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL((url) => !url.href.startsWith(WEB_URL));
  await page.getByRole("button", { name: "Stay signed in" }).click();
  await expect(page.getByRole("heading", { name: "Not logged in" })).toBeVisible();
}

test("with the issuer's session still alive, Log in returns alice and Switch user lets bob sign in", async ({
  page,
}) => {
  await page.goto(`${WEB_URL}/`);
  await logIn(page, "alice", "wonderland", "Alice Liddell");
  await logOutStayingSignedIn(page);

  // What "Switch user" is for: a plain "Log in" signs alice in again without asking.
  await page.getByRole("button", { name: "Log in", exact: true }).first().click();
  await expectLoggedIn(page, "Alice Liddell");
  await logOutStayingSignedIn(page);

  await page.getByRole("button", { name: "Switch user" }).click();
  await expect(page.getByLabel("Username")).toBeVisible();
  await submitLogin(page, "bob", "builder");
  await expectLoggedIn(page, "Bob the Builder");
  await page.getByRole("button", { name: "Call REST private-scoped" }).click();
  await expectResult(page, "rest-private-scoped", "403 Forbidden");
  await screenshot(page, "08-switched-to-bob");
});

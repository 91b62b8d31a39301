import { expect, test } from "@playwright/test";
import { expectResult, failOnSpaProblems, logIn, screenshot, storedAccessToken, WEB_URL } from "./spa-page";

// Each test gets Playwright's fresh context: no issuer session, and the page's clock under the
// test's control.
failOnSpaProblems();

test.beforeEach(async ({ page }) => {
  // Bearer tokens here: a DPoP proof signed by a page whose clock jumped an hour ahead has an iat the
  // issuer rightly refuses. (Refreshing DPoP-bound tokens is tested in apps/issuer/test/dpop.test.ts.)
  await page.addInitScript(() => localStorage.setItem("quickstart.dpop", "off"));
  await page.clock.install();
  await page.goto(`${WEB_URL}/`);
  await logIn(page, "alice", "wonderland", "Alice Liddell");
});

test("an access token about to expire is renewed with the refresh token, without a reload", async ({
  page,
}) => {
  const firstToken = await storedAccessToken(page);
  expect(firstToken).toBeTruthy();
  await expect(page.getByText("yes: renewed before it expires")).toBeVisible();

  // Access tokens live an hour; oidc-client-ts warns a minute before expiry, and the app renews.
  await page.clock.fastForward("59:30");
  await expect.poll(() => storedAccessToken(page)).not.toBe(firstToken);
  await expect(page.getByRole("alert")).toHaveCount(0);

  // The renewed token is one the API accepts, audience and scopes included.
  await page.getByRole("button", { name: "Call REST private-scoped" }).click();
  await expectResult(page, "rest-private-scoped", "200 OK");
  await page.getByRole("button", { name: "Call tRPC private-scoped" }).click();
  await expectResult(page, "trpc-private-scoped", "200 OK");
  await screenshot(page, "06-renewed");
});

test("without a refresh token, an expired session asks the user to log in again", async ({ page }) => {
  // As with an issuer that grants no refresh token (e.g. offline_access not allowed).
  await page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((name) => name.startsWith("oidc.user:")) as string;
    const { refresh_token: _dropped, ...user } = JSON.parse(sessionStorage.getItem(key) as string);
    sessionStorage.setItem(key, JSON.stringify(user));
  });

  await page.clock.fastForward("01:00:30");
  await expect(page.getByRole("alert")).toContainText("Please log in again");
  await expect(page.getByRole("button", { name: "Log in again" })).toBeVisible();
  // The page's clock is an hour ahead but the API's is not: the token is still valid there. What
  // matters here is that the app tells the user, and offers to log in.
  await screenshot(page, "07-expired");
});

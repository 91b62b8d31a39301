import { expect, test } from "@playwright/test";
import { ALL_CALLS, API_URL, expectResult, runAllCalls, WEB_URL, watchSpaPage } from "./spa-page";

test("an unreachable API shows a clear message instead of crashing", async ({ page }) => {
  const problems = await watchSpaPage(page);
  // As if the API were down: every request to it fails at the network level.
  await page.route(`${API_URL}/**`, (route) => route.abort("connectionrefused"));
  await page.goto(`${WEB_URL}/`);

  await runAllCalls(page);
  for (const id of ALL_CALLS) {
    await expectResult(page, id, "No response", `Could not reach the API at ${API_URL}`);
  }
  await expect(page.getByRole("button", { name: "Run all" })).toBeEnabled();

  // Chromium reports each refused connection itself; anything else is a problem.
  const unexpected = problems.filter((problem) => !problem.includes("net::ERR_CONNECTION_REFUSED"));
  expect(unexpected, "no other console errors, uncaught errors or CSP violations").toEqual([]);
});

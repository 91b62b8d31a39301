/**
 * The API's interactive docs (Swagger UI at /docs) in a real browser: served by the API itself,
 * rendering the generated document under the API's CSP, and calling the REST mirrors with a
 * pasted token.
 */
import { expect, test } from "@playwright/test";
import { MESSAGES } from "@quickstart/api";
import { API_URL } from "./spa-page";

test("the docs page lists the REST mirrors and calls them, with no CSP violation", async ({ page }) => {
  const problems: string[] = [];
  page.on("console", (message) => {
    // Chromium logs every 4xx fetch; the 401 below is what the test provokes.
    if (message.type() === "error" && !/status of 401 /.test(message.text())) problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("request", (request) => {
    if (!request.url().startsWith(API_URL)) problems.push(`left the API: ${request.url()}`);
  });
  await page.exposeFunction("reportCspViolation", (violation: string) => problems.push(`CSP: ${violation}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { reportCspViolation: (text: string) => void }).reportCspViolation;
      report(`${event.effectiveDirective} blocked ${event.blockedURI}`);
    });
  });

  await page.goto(`${API_URL}/docs`);
  for (const path of ["/api/public", "/api/private", "/api/private-scoped"])
    await expect(page.locator(".opblock-summary-path", { hasText: new RegExp(`^${path}$`) })).toBeVisible();

  // Try /api/public: Swagger UI fetches it from the page, under the page's connect-src.
  const publicOperation = page.locator("#operations-default-public");
  await publicOperation.locator(".opblock-summary").click();
  await publicOperation.getByRole("button", { name: "Try it out" }).click();
  await publicOperation.getByRole("button", { name: "Execute" }).click();
  await expect(
    publicOperation.locator(".live-responses-table tbody .response-col_status").first(),
  ).toHaveText("200");
  await expect(publicOperation.locator(".live-responses-table")).toContainText(MESSAGES.public);

  // Paste a token: the call carries it, and the API's refusal comes back as documented.
  await page.getByRole("button", { name: "Authorize" }).first().click();
  // The issuer's two flows are offered next to the bearer field.
  await expect(page.getByRole("button", { name: "Apply given OAuth2 credentials" })).toHaveCount(2);
  await page.locator("#auth-bearer-value").fill("not-a-real-token");
  await page.getByRole("button", { name: "Apply credentials" }).click();
  await page.locator(".dialog-ux .close-modal").click();
  const privateOperation = page.locator("#operations-default-private");
  await privateOperation.locator(".opblock-summary").click();
  await privateOperation.getByRole("button", { name: "Try it out" }).click();
  await privateOperation.getByRole("button", { name: "Execute" }).click();
  await expect(
    privateOperation.locator(".live-responses-table tbody .response-col_status").first(),
  ).toContainText("401");
  await expect(privateOperation.locator(".live-responses-table")).toContainText(
    "Unable to parse authentication token.",
  );

  expect(problems).toEqual([]);
});

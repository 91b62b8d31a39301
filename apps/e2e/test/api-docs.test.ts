/**
 * The API's interactive docs (Swagger UI at /docs) in a real browser: served by the API itself,
 * rendering the generated document under the API's CSP, and calling the REST mirrors with a
 * pasted token or one from the embedded issuer's client-credentials flow.
 */
import { expect, type Page, test } from "@playwright/test";
import { MESSAGES } from "@quickstart/api";
import { API_URL, ISSUER_URL, MACHINE_CLIENT, watchCspViolations } from "./spa-page";

/**
 * Collects console errors, uncaught errors, CSP violations and requests that leave the API (except
 * to `allowedUrls`) while the page is open.
 */
async function watchDocsPage(page: Page, allowedUrls: string[] = []): Promise<string[]> {
  const problems: string[] = [];
  page.on("console", (message) => {
    // Chromium logs every 4xx fetch; the 401 the first test provokes is expected.
    if (message.type() === "error" && !/status of 401 /.test(message.text())) problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("request", (request) => {
    if (!request.url().startsWith(API_URL) && !allowedUrls.includes(request.url()))
      problems.push(`left the API: ${request.url()}`);
  });
  await watchCspViolations(page, problems);
  return problems;
}

test("the docs page lists the REST mirrors and calls them, with no CSP violation", async ({ page }) => {
  const problems = await watchDocsPage(page);

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

test("the docs page gets a token with the client-credentials flow and calls the scoped endpoint", async ({
  page,
}) => {
  // The page talks to the issuer's token endpoint and nothing else outside the API.
  const tokenEndpoint = `${ISSUER_URL}oauth/token`;
  const problems = await watchDocsPage(page, [tokenEndpoint]);

  await page.goto(`${API_URL}/docs`);
  await page.getByRole("button", { name: "Authorize" }).first().click();
  // What a user types: the machine client's id and secret that `npm start` prints.
  const flow = page.locator(".auth-container", { hasText: "clientCredentials" });
  await flow.locator("#client_id_clientCredentials").fill(MACHINE_CLIENT.clientId);
  await flow.locator("#client_secret_clientCredentials").fill(MACHINE_CLIENT.clientSecret);
  await flow.locator('label[for="read:messages-clientCredentials-checkbox-oauth2"]').click();
  const tokenResponse = page.waitForResponse(tokenEndpoint);
  await flow.getByRole("button", { name: "Apply given OAuth2 credentials" }).click();
  // Cross-origin: the browser lets the page read the answer only with the issuer's CORS header;
  // without it Swagger UI shows "Failed to fetch" under the flow.
  const authorized = flow.getByRole("button", { name: "Remove authorization" });
  await expect(authorized.or(flow.locator(".errors"))).toBeVisible();
  expect(await flow.locator(".errors").allInnerTexts()).toEqual([]);
  const tokenAnswer = await tokenResponse;
  expect(tokenAnswer.status()).toBe(200);
  expect(await tokenAnswer.headerValue("access-control-allow-origin")).toBe(API_URL);
  await expect(authorized).toBeVisible();
  await page.locator(".dialog-ux .close-modal").click();

  const scopedOperation = page.locator("#operations-default-privateScoped");
  await scopedOperation.locator(".opblock-summary").click();
  await scopedOperation.getByRole("button", { name: "Try it out" }).click();
  const apiRequest = page.waitForRequest(`${API_URL}/api/private-scoped`);
  await scopedOperation.getByRole("button", { name: "Execute" }).click();
  expect(await (await apiRequest).headerValue("authorization")).toMatch(/^Bearer ey/);
  await expect(
    scopedOperation.locator(".live-responses-table tbody .response-col_status").first(),
  ).toHaveText("200");
  await expect(scopedOperation.locator(".live-responses-table")).toContainText(MESSAGES.privateScoped);

  expect(problems).toEqual([]);
});

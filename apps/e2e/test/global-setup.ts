import { CHROMIUM_PATH } from "../playwright.config";
import { assertChromiumInstalled, startStack } from "./stack";

/** Starts the stack once for the run; the returned function is Playwright's teardown. */
export default async function globalSetup() {
  assertChromiumInstalled(CHROMIUM_PATH);
  const startedAt = performance.now();
  const stack = await startStack();
  console.log(
    `stack ready in ${Math.round(performance.now() - startedAt)} ms: web ${stack.webUrl}, api ${stack.apiUrl}, issuer ${stack.issuerUrl}`,
  );
  // Workers inherit the environment globalSetup leaves behind.
  process.env.E2E_WEB_URL = stack.webUrl;
  process.env.E2E_API_URL = stack.apiUrl;
  process.env.E2E_ISSUER_URL = stack.issuerUrl;
  process.env.E2E_MACHINE_CLIENT_ID = stack.machineClient.clientId;
  process.env.E2E_MACHINE_CLIENT_SECRET = stack.machineClient.clientSecret;
  return stack.stop;
}

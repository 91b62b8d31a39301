import { expect, test } from "@playwright/test";
import { MESSAGES } from "@quickstart/api";
import { createDpopKey } from "@quickstart/auth/testing";
import {
  API_URL,
  expectResult,
  failOnSpaProblems,
  logIn,
  PRIVATE_CALLS,
  PUBLIC_CALLS,
  runAllCalls,
  SCOPED_CALLS,
  screenshot,
  storedAccessToken,
  WEB_URL,
} from "./spa-page";

// A token stolen from the SPA's storage: useless outside the browser when it is DPoP-bound.
failOnSpaProblems();

test.beforeEach(async ({ page }) => {
  await page.goto(`${WEB_URL}/`);
});

/** The private REST mirror called from outside the browser, as whoever stole the token would. */
async function callFromOutside(headers: Record<string, string>) {
  const response = await fetch(`${API_URL}/api/private`, { headers });
  return { status: response.status, body: (await response.json()) as { code?: string } };
}

test("DPoP by default: six calls pass with a proof each; the stolen token is refused outside the browser", async ({
  page,
}) => {
  const apiProofs: string[] = [];
  page.on("request", (request) => {
    const proof = request.headers().dpop;
    if (request.url().startsWith(API_URL) && proof) apiProofs.push(proof);
  });

  await logIn(page, "alice", "wonderland", "Alice Liddell");
  await expect(page.getByTestId("token-type")).toContainText("DPoP");
  const thumbprint = (await page.getByTestId("dpop-thumbprint").textContent()) ?? "";
  expect(thumbprint).toMatch(/^[\w-]{43}$/);

  await runAllCalls(page);
  for (const id of PUBLIC_CALLS) await expectResult(page, id, "200 OK", MESSAGES.public);
  for (const id of PRIVATE_CALLS) await expectResult(page, id, "200 OK", MESSAGES.private);
  for (const id of SCOPED_CALLS) await expectResult(page, id, "200 OK", MESSAGES.privateScoped);
  // One fresh proof per call, REST and tRPC alike.
  expect(apiProofs).toHaveLength(6);
  expect(new Set(apiProofs).size).toBe(6);
  await screenshot(page, "dpop-01-alice");

  // The key is in IndexedDB and cannot be exported, even by script on the page.
  const extractable = await page.evaluate(
    () =>
      new Promise<boolean[]>((resolve, reject) => {
        const open = indexedDB.open("oidc");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const database = open.result;
          const names = Array.from(
            { length: database.objectStoreNames.length },
            (_, i) => database.objectStoreNames.item(i) ?? "",
          );
          const all = database
            .transaction(names, "readonly")
            .objectStore(names[0] ?? "")
            .getAll();
          all.onsuccess = () =>
            resolve(
              (all.result as { keys: CryptoKeyPair }[]).map((state) => state.keys.privateKey.extractable),
            );
          all.onerror = () => reject(all.error);
        };
      }),
  );
  expect(extractable).toEqual([false]);

  const stolen = (await storedAccessToken(page)) ?? "";
  const payload = JSON.parse(Buffer.from(stolen.split(".")[1] ?? "", "base64url").toString());
  expect(payload.cnf).toEqual({ jkt: thumbprint });

  // As Bearer, and as DPoP with the thief's own key: both 401.
  expect(await callFromOutside({ authorization: `Bearer ${stolen}` })).toEqual({
    status: 401,
    body: expect.objectContaining({ code: "invalid_dpop_proof" }),
  });
  const thief = await createDpopKey();
  const proof = await thief.proof({ htm: "GET", htu: `${API_URL}/api/private`, accessToken: stolen });
  expect(await callFromOutside({ authorization: `DPoP ${stolen}`, dpop: proof })).toEqual({
    status: 401,
    body: expect.objectContaining({ code: "invalid_dpop_proof" }),
  });
});

test("with DPoP turned off, the token is Bearer: the calls pass, and the same token works from anywhere", async ({
  page,
}) => {
  // The change reloads the page, as the UserManager reads the setting when it is made.
  await Promise.all([page.waitForEvent("load"), page.getByTestId("dpop-setting").click()]);
  await expect(page.getByTestId("dpop-setting")).not.toBeChecked();
  await logIn(page, "alice", "wonderland", "Alice Liddell");
  await expect(page.getByTestId("token-type")).toContainText("Bearer");
  await expect(page.getByTestId("dpop-thumbprint")).toHaveCount(0);

  await runAllCalls(page);
  for (const id of PRIVATE_CALLS) await expectResult(page, id, "200 OK", MESSAGES.private);
  const token = (await storedAccessToken(page)) ?? "";
  expect((await callFromOutside({ authorization: `Bearer ${token}` })).status).toBe(200);
  await screenshot(page, "dpop-02-bearer");
});

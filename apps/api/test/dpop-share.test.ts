/**
 * One client must not be able to fill the in-memory DPoP replay store alone: past its key's share,
 * its proofs are refused with a clear 401 while another key's proofs are still accepted.
 */
import { createMemoryReplayStore } from "@quickstart/auth";
import { createDpopKey, type DpopKey, startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildAppFor } from "./build-app-for";

const PUBLIC_URL = "https://api.example.test";
let issuer: TestIssuer;
let app: FastifyInstance;
let flooder: DpopKey;
let other: DpopKey;
beforeAll(async () => {
  [issuer, flooder, other] = await Promise.all([
    startTestIssuer(),
    createDpopKey("ES256"),
    createDpopKey("ES256"),
  ]);
  // 40 proofs in the window in all, 10 per key.
  const replayStore = createMemoryReplayStore({ maxEntries: 40 });
  app = await buildAppFor(issuer, { publicUrl: PUBLIC_URL, dpop: { replayStore } });
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

async function call(key: DpopKey) {
  const token = await issuer.sign({ cnf: { jkt: key.thumbprint } });
  const proof = await key.proof({ htm: "GET", htu: `${PUBLIC_URL}/api/private`, accessToken: token });
  const response = await app.inject({
    url: "/api/private",
    headers: { authorization: `DPoP ${token}`, dpop: proof },
  });
  return [response.statusCode, response.json().description] as const;
}

it("refuses the flooding key past its share, and still accepts another key's proofs", async () => {
  const answers = [];
  for (let i = 0; i < 15; i += 1) answers.push((await call(flooder))[0]);
  expect(answers).toEqual([...Array(10).fill(200), ...Array(5).fill(401)]);
  expect(await call(flooder)).toEqual([
    401,
    "This DPoP key has sent too many proofs within the proof window; wait before sending more",
  ]);
  for (let i = 0; i < 10; i += 1) expect((await call(other))[0]).toBe(200);
});

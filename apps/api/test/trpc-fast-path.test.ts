/**
 * The tRPC fast path (src/trpc-fast-path.ts) must answer exactly as the official adapter does:
 * the same request goes to an app with it and to one without it, and the answers are compared.
 */
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAppFor } from "./build-app-for";

let issuer: TestIssuer;
let down: TestIssuer;
let fast: FastifyInstance;
let official: FastifyInstance;
let fastDown: FastifyInstance;
let officialDown: FastifyInstance;

beforeAll(async () => {
  issuer = await startTestIssuer();
  down = await startTestIssuer();
  down.failing = true;
  fast = await buildAppFor(issuer);
  official = await buildAppFor(issuer, { trpcFastPath: false });
  fastDown = await buildAppFor(down);
  officialDown = await buildAppFor(down, { trpcFastPath: false });
});
afterAll(async () => {
  await Promise.all([fast, official, fastDown, officialDown].map((app) => app.close()));
  await issuer.close();
  await down.close();
});

const COMPARED_HEADERS = [
  "content-type",
  "vary",
  "www-authenticate",
  "retry-after",
  "x-content-type-options",
];

/** The answer, with the content type's charset parameter set apart: the fast path adds one. */
async function answer(app: FastifyInstance, url: string, headers: Record<string, string>) {
  const response = await app.inject({ url, headers });
  const [mediaType, ...parameters] = String(response.headers["content-type"]).split(";");
  return {
    status: response.statusCode,
    body: response.body,
    headers: {
      ...Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers[name]])),
      "content-type": mediaType,
    },
    charset: parameters.join(";").trim() || undefined,
    buffered: response.headers["content-length"] !== undefined,
  };
}

const apart = (reply: Awaited<ReturnType<typeof answer>>) => ({
  ...reply,
  buffered: undefined,
  charset: undefined,
});

describe("the tRPC fast path", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<Record<string, string>>][] = [
    ["no header", async () => ({})],
    ["a valid token", async () => ({ authorization: `Bearer ${await issuer.sign()}` })],
    [
      "a token without read:messages",
      async () => ({ authorization: `Bearer ${await issuer.sign({ scope: "openid" })}` }),
    ],
    ["an expired token", async () => ({ authorization: `Bearer ${await issuer.sign({ exp: now() - 60 })}` })],
    ["garbage", async () => ({ authorization: "Bearer garbage" })],
    ["Basic credentials", async () => ({ authorization: "Basic abc" })],
  ];

  it.each(cases)(
    "answers %s exactly as the official adapter, for every procedure",
    async (_name, makeHeaders) => {
      const headers = await makeHeaders();
      for (const path of ["public", "private", "privateScoped"]) {
        const viaFastPath = await answer(fast, `/trpc/${path}`, headers);
        const viaAdapter = await answer(official, `/trpc/${path}`, headers);
        expect(apart(viaFastPath)).toEqual(apart(viaAdapter));
        // The fast path really answered (it sends a buffered body; the adapter streams one), with
        // the charset the REST mirrors also send.
        expect([viaFastPath.buffered, viaAdapter.buffered]).toEqual([true, false]);
        expect([viaFastPath.charset, viaAdapter.charset]).toEqual(["charset=utf-8", undefined]);
      }
    },
  );

  it("answers an issuer outage (503 + Retry-After) exactly as the official adapter", async () => {
    const headers = { authorization: `Bearer ${await down.sign()}` };
    const viaFastPath = await answer(fastDown, "/trpc/private", headers);
    const viaAdapter = await answer(officialDown, "/trpc/private", headers);
    expect(viaFastPath.status).toBe(503);
    expect(apart(viaFastPath)).toEqual(apart(viaAdapter));
  });

  it("leaves batches, inputs, streaming and unknown paths to the official adapter", async () => {
    const headers = { authorization: `Bearer ${await issuer.sign()}` };
    for (const url of ["/trpc/public,private?batch=1&input={}", "/trpc/private?input=%7B%7D", "/trpc/nope"]) {
      const viaFastPath = await answer(fast, url, headers);
      expect(viaFastPath).toEqual(await answer(official, url, headers));
      expect(viaFastPath.buffered).toBe(false);
    }
    const streaming = await answer(fast, "/trpc/private", { ...headers, "trpc-accept": "application/jsonl" });
    expect(streaming.buffered).toBe(false);
  });
});

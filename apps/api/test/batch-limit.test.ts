/**
 * One request must not start an unbounded number of procedures: a tRPC batch naming more calls than
 * the limit (TRPC_MAX_BATCH_SIZE) is refused with 400 before any of them runs, over POST as over GET.
 */
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { appProcedures } from "../src/root";
import { protectedProcedure } from "../src/trpc";
import { buildAppFor } from "./build-app-for";

let runs = 0;
const procedures = {
  ...appProcedures,
  count: protectedProcedure.input(z.object({ by: z.number() })).mutation(({ input }) => {
    runs += input.by;
    return { runs };
  }),
};

let issuer: TestIssuer;
let authorization: string;
beforeAll(async () => {
  issuer = await startTestIssuer();
  authorization = `Bearer ${await issuer.sign()}`;
});
afterAll(() => issuer.close());
beforeEach(() => {
  runs = 0;
});

/** A POST batch of `size` `count` mutations, as httpBatchLink sends it. */
function postBatch(app: FastifyInstance, size: number) {
  const inputs = Object.fromEntries(Array.from({ length: size }, (_, i) => [String(i), { by: 1 }]));
  return app.inject({
    method: "POST",
    url: `/trpc/${Array(size).fill("count").join(",")}?batch=1`,
    headers: { authorization, "content-type": "application/json" },
    payload: JSON.stringify(inputs),
  });
}

describe("the tRPC batch limit", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildAppFor(issuer, { procedures });
  });
  afterAll(() => app.close());

  it("runs a batch of 10 calls by default", async () => {
    const response = await postBatch(app, 10);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toHaveLength(10);
    expect(runs).toBe(10);
  });

  it("refuses a POST batch of 11 mutations with 400 and runs none of them", async () => {
    const response = await postBatch(app, 11);
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json())).toContain("Batch call exceeds maximum size");
    expect(response.body).not.toContain("stack");
    expect(runs).toBe(0);
  });

  it("refuses a POST batch of 200 mutations the same way", async () => {
    expect((await postBatch(app, 200)).statusCode).toBe(400);
    expect(runs).toBe(0);
  });

  it("refuses a batch whose path is too long for the router with 414, before tRPC sees it", async () => {
    expect((await postBatch(app, 5000)).statusCode).toBe(414);
    expect(runs).toBe(0);
  });

  it("refuses an oversized GET batch too", async () => {
    const paths = Array(11).fill("public").join(",");
    const response = await app.inject({ method: "GET", url: `/trpc/${paths}?batch=1&input=%7B%7D` });
    expect(response.statusCode).toBe(400);
  });
});

describe("a configured limit (TRPC_MAX_BATCH_SIZE=2)", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildAppFor(issuer, { procedures, maxBatchSize: 2 });
  });
  afterAll(() => app.close());

  it("runs a batch of 2 and refuses a batch of 3 without running any", async () => {
    expect((await postBatch(app, 2)).statusCode).toBe(200);
    expect(runs).toBe(2);
    expect((await postBatch(app, 3)).statusCode).toBe(400);
    expect(runs).toBe(2);
  });
});

/**
 * A REST mirror hands its procedure an abort signal, as the tRPC adapter does: aborted when the
 * client goes away before the answer, and only then.
 */
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { endpoint, publicProcedure } from "../src/trpc";
import { buildAppFor } from "./build-app-for";

const signals: AbortSignal[] = [];
let started: () => void = () => {};
const procedures = {
  slow: endpoint(publicProcedure, {
    rest: { method: "GET", path: "/api/slow" },
    output: z.object({ done: z.boolean() }),
  }).query(async ({ signal }) => {
    if (signal) signals.push(signal);
    started();
    // Answers after 10 s unless the signal aborts first.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      signal?.addEventListener("abort", () => resolve(clearTimeout(timer)), { once: true });
    });
    return { done: !signal?.aborted };
  }),
  quick: endpoint(publicProcedure, {
    rest: { method: "GET", path: "/api/quick" },
    output: z.object({ done: z.boolean() }),
  }).query(({ signal }) => {
    if (signal) signals.push(signal);
    return { done: true };
  }),
};

let issuer: TestIssuer;
let app: FastifyInstance;
let baseUrl: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  app = await buildAppFor(issuer, { procedures });
  baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

it("aborts the procedure's signal when the client goes away before the answer", async () => {
  signals.length = 0;
  const client = new AbortController();
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  const request = fetch(`${baseUrl}/api/slow`, { signal: client.signal }).catch((error: unknown) => error);
  await running;
  client.abort();
  expect(await request).toBeInstanceOf(Error);
  const [signal] = signals;
  await new Promise((resolve) =>
    signal?.aborted ? resolve(undefined) : signal?.addEventListener("abort", resolve),
  );
  expect(signal?.aborted).toBe(true);
});

it("leaves the signal alone when the answer was sent", async () => {
  signals.length = 0;
  const response = await fetch(`${baseUrl}/api/quick`);
  expect(await response.json()).toEqual({ done: true });
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(signals).toHaveLength(1);
  expect(signals[0]?.aborted).toBe(false);
});

/**
 * What the API's log says about a refused request: the error code and, in `detail`, what was
 * expected and what the token had. Captured from the real pino logger; the token never appears.
 */
import { Writable } from "node:stream";
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAppFor } from "./build-app-for";

let issuer: TestIssuer;
let app: FastifyInstance;
const lines: Record<string, unknown>[] = [];
let rawLog = "";

beforeAll(async () => {
  issuer = await startTestIssuer();
  const stream = new Writable({
    write(chunk, _encoding, done) {
      rawLog += chunk.toString();
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  app = await buildAppFor(issuer, { logger: { level: "info", stream } });
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

const PATHS = ["/api/private", "/trpc/private", "/trpc/private,privateScoped?batch=1&input={}"];

/** The "request refused" lines logged while requesting `path` with `token`. */
async function refusalsFor(path: string, token: string) {
  const before = lines.length;
  const response = await app.inject({ url: path, headers: { authorization: `Bearer ${token}` } });
  expect(response.statusCode).toBe(401);
  expect(response.body).not.toContain("expected");
  return lines.slice(before).filter((line) => line.msg === "request refused");
}

describe("refusal log lines", () => {
  it.each(PATHS)("say what was expected and found, on %s", async (path) => {
    const cases = [
      {
        token: await issuer.sign({ aud: "https://someone-else/api" }),
        code: "invalid_claims",
        detail: `aud expected "${issuer.audience}", got "https://someone-else/api"`,
      },
      {
        token: await issuer.sign({ iss: "https://other-issuer.example/" }),
        code: "invalid_claims",
        detail: `iss expected "${issuer.issuer}", got "https://other-issuer.example/"`,
      },
      {
        token: await issuer.sign({}, { kid: "kid-of-another-issuer" }),
        code: "invalid_header",
        detail: `kid "kid-of-another-issuer" is not among the issuer's keys ["${issuer.currentKey.kid}"] (for "RS256"); the token may come from another issuer`,
      },
    ];
    for (const { token, code, detail } of cases) {
      const refusals = await refusalsFor(path, token);
      expect(refusals.length).toBeGreaterThanOrEqual(1);
      for (const line of refusals) expect(line).toMatchObject({ level: 30, code, status: 401, detail });
    }
    // Not the token, nor any of its three parts.
    for (const { token } of cases) {
      for (const part of token.split(".")) expect(rawLog).not.toContain(part);
    }
  });
});

/**
 * What adding an endpoint takes: one procedure definition. The test's procedures are written once,
 * as a developer would add them to root.ts; everything else (the tRPC call, the REST route, its
 * OpenAPI operation, the 403 without the scope and the 400 on bad input) must come with them.
 * They are in add-endpoint-procedures.ts, beside the app's own under a key and paths no user would
 * pick, so a user's endpoint (the README's `greet`, say) never collides with them.
 */
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appProcedures } from "../src/root";
import type { router } from "../src/trpc";
import { addEndpointTestProcedures } from "./add-endpoint-procedures";
import { buildAppFor } from "./build-app-for";

const procedures = { ...appProcedures, addEndpointTest: addEndpointTestProcedures };
type TestRouter = ReturnType<typeof router<typeof procedures>>;

let issuer: TestIssuer;
let app: FastifyInstance;
let baseUrl: string;
let reader: string;
let noScope: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  app = await buildAppFor(issuer, { procedures });
  baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  reader = `Bearer ${await issuer.sign({ sub: "alice" })}`;
  noScope = `Bearer ${await issuer.sign({ scope: "openid" })}`;
});
afterAll(async () => {
  await app.close();
  await issuer.close();
});

const trpc = (authorization: string) =>
  createTRPCClient<TestRouter>({ links: [httpLink({ url: `${baseUrl}/trpc`, headers: { authorization } })] });

const post = (authorization: string, body: unknown) =>
  fetch(`${baseUrl}/api/add-endpoint-test/greet`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("a procedure added with input and a scope", () => {
  it("is a tRPC procedure", async () => {
    expect(await trpc(reader).addEndpointTest.greet.mutate({ name: "Bob", times: 2 })).toEqual({
      greeting: "Hello Bob! Hello Bob! (from alice)",
    });
    const refused = await trpc(noScope)
      .addEndpointTest.greet.mutate({ name: "Bob" })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<TestRouter>).data?.httpStatus).toBe(403);
  });

  it("is a REST route taking a JSON body (POST) or the query string (GET)", async () => {
    const response = await post(reader, { name: "Bob" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ greeting: "Hello Bob! (from alice)" });
    const echo = await fetch(`${baseUrl}/api/add-endpoint-test/echo?word=hello`, {
      headers: { authorization: reader },
    });
    expect([echo.status, await echo.json()]).toEqual([200, { word: "hello" }]);
  });

  it("refuses a token without the scope with 403 and the challenge, before reading the input", async () => {
    const response = await post(noScope, { name: "" });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ code: "Unauthorized", description: "您没有权限访问当前资源" });
    expect(response.headers.get("www-authenticate")).toMatch(
      /error="insufficient_scope".*scope="read:messages"/,
    );
    expect((await post("", { name: "Bob" })).status).toBe(401);
  });

  it.each([
    ["POST", "/api/add-endpoint-test/greet", { name: "" }, /^Invalid input: name: /],
    ["POST", "/api/add-endpoint-test/greet", { name: "Bob", times: 9 }, /^Invalid input: times: /],
    [
      "POST",
      "/api/add-endpoint-test/greet",
      {},
      /^Invalid input: name: expected string, received undefined$/,
    ],
    [
      "POST",
      "/api/add-endpoint-test/greet",
      undefined,
      /^Invalid input: expected object, received undefined$/,
    ],
    ["GET", "/api/add-endpoint-test/echo?word=NOT%20A%20WORD", undefined, /^Invalid input: word: /],
    ["GET", "/api/add-endpoint-test/echo", undefined, /^Invalid input: /],
  ])("answers %s %s with bad input %j with 400 invalid_request", async (method, path, body, description) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: reader, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { code: string; description: string };
    expect(answer.code).toBe("invalid_request");
    expect(answer.description).toMatch(description);
    expect(answer.description, "one prefix, not zod's repeated").not.toMatch(
      /Invalid input:.*Invalid input:/,
    );
  });

  it("has an OpenAPI operation listing its scope, its input and its answers", async () => {
    const document = (await (await fetch(`${baseUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const greet = document.paths["/api/add-endpoint-test/greet"]?.post;
    expect(greet).toMatchObject({
      operationId: "addEndpointTest.greet",
      summary: "Greets someone by name",
      security: [{ oauth2: ["read:messages"] }, { bearerAuth: ["read:messages"] }],
      requestBody: { content: { "application/json": { schema: { required: ["name"] } } } },
    });
    expect(Object.keys(greet?.responses as object)).toEqual(["200", "400", "401", "403", "503"]);
    // A rule JSON Schema cannot say (a refine) gets an example, which the operation shows.
    expect(document.paths["/api/add-endpoint-test/sevens"]?.post?.requestBody).toMatchObject({
      content: { "application/json": { example: { n: 14 } } },
    });
    const echo = document.paths["/api/add-endpoint-test/echo"]?.get;
    expect(echo?.parameters).toEqual([
      expect.objectContaining({ in: "query", name: "word", required: true }),
    ]);
  });
});

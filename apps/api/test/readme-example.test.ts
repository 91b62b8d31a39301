/**
 * The README's "Add an endpoint" example, pasted into root.ts as documented, keeps `npm test` green.
 * The example is the same text in README.md and in root.ts's header. Pasted into a copy of root.ts
 * (beside the real modules), it must be formatted as biome wants and compile. The copy's endpoint
 * must then answer on tRPC, REST and MCP, be in the OpenAPI document, and pass the OpenAPI test's walk of
 * every documented response, beside add-endpoint.test.ts's procedures. apps/api/turbo.json makes
 * README.md and biome.json inputs of the cached test task, so editing either reruns this.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { TRPCRouterRecord } from "@trpc/server";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appProcedures } from "../src/root";
import { addEndpointTestProcedures } from "./add-endpoint-procedures";
import { buildAppFor } from "./build-app-for";
import {
  buildValidInput,
  checkEveryDocumentedResponse,
  listOperations,
  listRequiredScopes,
  listRestRoutes,
  type OpenApiDocument,
} from "./documented-operations";

const apiDir = fileURLToPath(new URL("..", import.meta.url));
const repoRoot = join(apiDir, "../..");
const rootSource = readFileSync(join(apiDir, "src/root.ts"), "utf8");

/** The fenced block between the README's add-endpoint-example markers. */
function readReadmeExample(): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const block =
    /<!-- add-endpoint-example[^>]*-->\n```ts\n([\s\S]*?)\n```\n<!-- \/add-endpoint-example -->/.exec(readme);
  if (!block?.[1]) throw new Error("README.md: no ```ts block between the add-endpoint-example markers");
  return block[1];
}

/** The ```ts block of root.ts's header comment, without the comment's ` * `. */
function readRootExample(): string {
  const block = /^ \* ```ts\n([\s\S]*?)\n \* ```$/m.exec(rootSource);
  if (!block?.[1]) throw new Error("root.ts: no ```ts block in the header comment");
  return block[1]
    .split("\n")
    .map((line) => line.replace(/^ \*( |$)/, ""))
    .join("\n");
}

/** root.ts with `example` added as the last entry of `appProcedures`, as the README says to. */
function pasteIntoRoot(example: string): string {
  const end = "\n} satisfies TRPCRouterRecord;";
  if (!rootSource.includes(end))
    throw new Error(`root.ts: appProcedures no longer ends with "${end.trim()}"`);
  const indented = example
    .split("\n")
    .map((line) => (line ? `  ${line}` : line))
    .join("\n");
  return rootSource.replace(end, `\n${indented}${end}`);
}

const run = (command: string, args: string[], options: { cwd: string; input?: string }) =>
  spawnSync(command, args, { ...options, encoding: "utf8", timeout: 120_000 });

const example = readReadmeExample();
const exampleKey = /^(\w+): /.exec(example)?.[1] ?? "";
// A user who followed the README has the example in root.ts already: then root.ts itself is checked.
const alreadyPasted = new RegExp(`^  ${exampleKey}: `, "m").test(rootSource);
const pasted = alreadyPasted ? rootSource : pasteIntoRoot(example);
// Beside src/ so the copy's imports reach the real modules and apps/api's dependencies (gitignored).
const copyDir = mkdtempSync(join(apiDir, ".readme-example-"));
writeFileSync(join(copyDir, "root.ts"), pasted.replaceAll('from "./', 'from "../src/'));
writeFileSync(
  join(copyDir, "tsconfig.json"),
  JSON.stringify({ extends: "../tsconfig.json", include: ["root.ts"] }),
);

let issuer: TestIssuer;
let down: TestIssuer;
let procedures: TRPCRouterRecord;
let app: FastifyInstance;
let outageApp: FastifyInstance;
let document: OpenApiDocument;

beforeAll(async () => {
  const copy = (await import(join(copyDir, "root.ts"))) as { appProcedures: TRPCRouterRecord };
  expect(Object.keys(copy.appProcedures).sort()).toEqual(
    [...new Set([...Object.keys(appProcedures), exampleKey])].sort(),
  );
  procedures = { ...copy.appProcedures, addEndpointTest: addEndpointTestProcedures };
  issuer = await startTestIssuer();
  down = await startTestIssuer();
  app = await buildAppFor(issuer, { procedures });
  outageApp = await buildAppFor(down, { procedures });
  document = (await app.inject({ url: "/api/openapi.json" })).json();
});
afterAll(async () => {
  await app?.close();
  await outageApp?.close();
  await issuer?.close();
  await down?.close();
  rmSync(copyDir, { recursive: true, force: true });
});

/** The example's REST route called as alice, with a valid input built from its documented schema. */
async function callExampleOverRest() {
  const operation = listOperations(document).find(({ operation }) => operation.operationId === exampleKey);
  if (!operation) throw new Error(`the example's ${exampleKey} has no REST route in the OpenAPI document`);
  const { body, query } = await buildValidInput(operation.operation);
  const input: unknown = body ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(query));
  const authorization = `Bearer ${await issuer.sign({ sub: "alice" })}`;
  const rest = await app.inject({
    method: operation.method as "GET",
    url: query ? `${operation.path}?${query}` : operation.path,
    headers: { authorization, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { payload: body } : {}),
  });
  expect(rest.statusCode, rest.body).toBe(200);
  return { operation, input, authorization, rest };
}

describe("the README's Add an endpoint example", () => {
  it("is the text root.ts's header shows", () => {
    expect(example).toMatch(/^\w+: endpoint\(/);
    expect(readRootExample()).toBe(example);
  });

  it("is formatted as biome wants, once pasted into root.ts", () => {
    const biome = run(
      join(repoRoot, "node_modules/.bin/biome"),
      ["format", "--stdin-file-path=apps/api/src/root.ts"],
      {
        cwd: repoRoot,
        input: pasted,
      },
    );
    expect(biome.status, biome.stderr).toBe(0);
    expect(biome.stdout, "biome would reformat the pasted example").toBe(pasted);
  });

  it("compiles, once pasted into root.ts", () => {
    const tsc = run(join(apiDir, "node_modules/.bin/tsc"), ["--noEmit", "-p", copyDir], { cwd: apiDir });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  }, 120_000);

  it("adds one endpoint, answering on tRPC and REST with the same result", async () => {
    const name = exampleKey;
    const { operation, input, authorization, rest } = await callExampleOverRest();

    // The example's REST method follows tRPC's: a POST mirrors a mutation, a GET a query.
    const trpcInput = JSON.stringify(input);
    const trpc = await app.inject(
      operation.method === "POST"
        ? {
            method: "POST",
            url: `/trpc/${name}`,
            headers: { authorization, "content-type": "application/json" },
            payload: trpcInput,
          }
        : {
            method: "GET",
            url: `/trpc/${name}?input=${encodeURIComponent(trpcInput)}`,
            headers: { authorization },
          },
    );
    expect(trpc.statusCode, trpc.body).toBe(200);
    expect(trpc.json().result.data).toEqual(rest.json());
  });

  it("is an MCP tool too, answering with the REST route's result", async () => {
    const { input, authorization, rest } = await callExampleOverRest();
    const mcp = await app.inject({
      method: "POST",
      url: "/mcp",
      headers: {
        authorization,
        accept: "application/json, text/event-stream",
        "content-type": "application/json",
      },
      payload: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: exampleKey, arguments: input },
      }),
    });
    expect(mcp.statusCode, mcp.body).toBe(200);
    expect(mcp.json().result.structuredContent).toEqual(rest.json());
  });

  it("leaves the OpenAPI test green: a valid document listing every mirror, each answer as documented", async () => {
    const result = await new Validator().validate(structuredClone(document) as never);
    expect(result.errors).toBeUndefined();
    const operations = listOperations(document);
    expect(operations.map(({ method, path }) => `${method} ${path}`)).toEqual(listRestRoutes(procedures));
    expect(
      Object.fromEntries(operations.map(({ operation }) => [operation.operationId, operation.security])),
    ).toEqual(listRequiredScopes(procedures));
    const checked = await checkEveryDocumentedResponse({ document, app, issuer, outageApp, down });
    expect(Object.keys(checked)).toEqual(expect.arrayContaining([exampleKey, "addEndpointTest.greet"]));
  });
});

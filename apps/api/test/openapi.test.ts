/**
 * The generated OpenAPI document, checked by a real OpenAPI validator and against the running API:
 * every documented response of every operation is produced for real, and its status, body and
 * headers must match what the document says. Also the RFC 9728 metadata and the docs page.
 */
import { createTestCertificates, startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appProcedures } from "../src/root";
import { SCOPES } from "../src/scopes";
import { buildAppFor } from "./build-app-for";
import {
  checkEveryDocumentedResponse,
  listOperations,
  listRequiredScopes,
  listRestRoutes,
  type OpenApiDocument,
} from "./documented-operations";

const PUBLIC_URL = "https://api.example.com";
let issuer: TestIssuer;
let down: TestIssuer;
let app: FastifyInstance;
let outageApp: FastifyInstance;
let document: OpenApiDocument;

beforeAll(async () => {
  issuer = await startTestIssuer();
  down = await startTestIssuer();
  app = await buildAppFor(issuer, { publicUrl: PUBLIC_URL });
  outageApp = await buildAppFor(down, { publicUrl: PUBLIC_URL });
  const response = await app.inject({ url: "/api/openapi.json" });
  expect(response.statusCode).toBe(200);
  document = response.json();
});
afterAll(async () => {
  await app.close();
  await outageApp.close();
  await issuer.close();
  await down.close();
});

const operations = () => listOperations(document);

describe("GET /api/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(structuredClone(document) as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect((document as unknown as { openapi: string }).openapi).toBe("3.1.0");
  });

  // These tests walk whatever procedures the app has (root.ts), so they hold for an endpoint a
  // user adds; the quickstart's three are named to keep them checked against fixed values too.
  it("documents exactly the REST mirrors, at the configured public URL", () => {
    const routes = operations().map(({ method, path }) => `${method} ${path}`);
    expect(routes).toEqual(listRestRoutes(appProcedures));
    expect(routes.slice(0, 3)).toEqual(["GET /api/public", "GET /api/private", "GET /api/private-scoped"]);
    expect(document.servers).toEqual([{ url: PUBLIC_URL }]);
  });

  it("declares the oauth2 flows at the issuer's endpoints, with the registered scopes", () => {
    const { flows } = document.components.securitySchemes.oauth2;
    expect(flows).toEqual({
      authorizationCode: {
        authorizationUrl: `${issuer.issuer}authorize`,
        tokenUrl: `${issuer.issuer}token`,
        scopes: SCOPES,
      },
      clientCredentials: { tokenUrl: `${issuer.issuer}token`, scopes: SCOPES },
    });
  });

  it("lists each operation's required scopes, and none for the public one", () => {
    const security = Object.fromEntries(
      operations().map(({ operation }) => [operation.operationId, operation.security]),
    );
    expect(security).toEqual(listRequiredScopes(appProcedures));
    expect(security).toMatchObject({
      public: undefined,
      private: [{ oauth2: [] }, { bearerAuth: [] }],
      privateScoped: [{ oauth2: ["read:messages"] }, { bearerAuth: ["read:messages"] }],
    });
  });

  it("matches every documented response with a real one", async () => {
    const checked = await checkEveryDocumentedResponse({ document, app, issuer, outageApp, down });
    expect(Object.keys(checked)).toEqual(operations().map(({ operation }) => operation.operationId));
    expect(checked).toMatchObject({
      public: ["200"],
      private: ["200", "401", "503"],
      privateScoped: ["200", "401", "403", "503"],
    });
  });

  it("answers 503 issuer_unavailable while the issuer's discovery cannot be fetched", async () => {
    const unreachable = await startTestIssuer();
    unreachable.failing = true;
    const local = await buildAppFor(unreachable);
    const response = await local.inject({ url: "/api/openapi.json" });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: "issuer_unavailable" });
    unreachable.failing = false;
    expect((await local.inject({ url: "/api/openapi.json" })).statusCode).toBe(200);
    await local.close();
    await unreachable.close();
  });

  it("reaches an issuer signed by a private CA through AUTH_CA_FILE, as the verifier does", async () => {
    const certificates = await createTestCertificates();
    const tlsIssuer = await startTestIssuer({ tls: certificates });
    const untrusting = await buildAppFor(tlsIssuer);
    const trusting = await buildAppFor(tlsIssuer, { issuerCaFile: certificates.caFile });
    try {
      expect((await untrusting.inject({ url: "/api/openapi.json" })).statusCode).toBe(503);
      const response = await trusting.inject({ url: "/api/openapi.json" });
      expect(response.statusCode).toBe(200);
      expect(response.json().components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl).toBe(
        new URL("token", tlsIssuer.issuer).href,
      );
    } finally {
      await untrusting.close();
      await trusting.close();
      await tlsIssuer.close();
      await certificates.remove();
    }
  });
});

describe("GET /.well-known/oauth-protected-resource", () => {
  it("describes the API from its configuration, whatever the Host header says", async () => {
    const response = await app.inject({
      url: "/.well-known/oauth-protected-resource",
      headers: { host: "evil.example", "x-forwarded-host": "evil.example" },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      resource: PUBLIC_URL,
      authorization_servers: [issuer.issuer],
      scopes_supported: ["read:messages"],
      bearer_methods_supported: ["header"],
      resource_documentation: `${PUBLIC_URL}/docs`,
      // DPoP is allowed by default (RFC 9449 §5.1).
      dpop_signing_alg_values_supported: ["ES256", "EdDSA", "Ed25519", "PS256", "RS256"],
    });
  });

  it("is what every challenge points at, on REST and tRPC", async () => {
    for (const url of ["/api/private", "/trpc/private"]) {
      const response = await app.inject({ url });
      // One challenge per accepted scheme (Bearer, and DPoP allowed by default): REST sends each as
      // its own header line, tRPC's adapter (a Headers object) joins them with ", ", which is equivalent.
      expect([response.headers["www-authenticate"]].flat().join(", ")).toEqual(
        `Bearer resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource", ` +
          `DPoP algs="ES256 EdDSA Ed25519 PS256 RS256", resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource"`,
      );
    }
  });
});

describe("GET /docs", () => {
  it("serves Swagger UI from this process, under a CSP that allows only itself and the issuer", async () => {
    const page = await app.inject({ url: "/docs/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${new URL(issuer.issuer).origin}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe|https:(?!\/\/)/);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? "");
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets) {
      expect(asset, "no CDN").not.toMatch(/^(https?:)?\/\//);
      expect((await app.inject({ url: new URL(asset, "http://x/docs/").pathname })).statusCode, asset).toBe(
        200,
      );
    }
    expect(page.body).not.toMatch(/<script>[^<]/); // no inline script: 'self' only
  });

  it("serves the same document as /api/openapi.json to the UI", async () => {
    const forUi = await app.inject({ url: "/docs/json" });
    expect(forUi.statusCode).toBe(200);
    expect(forUi.json()).toEqual(document);
  });
});

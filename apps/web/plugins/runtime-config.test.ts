import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWebConfig, parseWebEnv } from "../src/env";
import { configJsonHandler } from "./runtime-config";

const config = {
  issuer: "http://localhost:4020/",
  audience: "https://quickstarts/api",
  clientId: "quickstart-spa",
  apiUrl: "http://localhost:4010",
};

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  const handler = configJsonHandler(config);
  server = createServer((request, response) =>
    handler(request, response, () => response.writeHead(404).end()),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe("configJsonHandler", () => {
  it("answers /config.json with the configuration, never cached", async () => {
    const response = await fetch(`${baseUrl}/config.json?v=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(parseWebConfig(await response.json())).toEqual(config);
  });

  it("passes every other path on, and refuses writes", async () => {
    expect((await fetch(`${baseUrl}/index.html`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/config.json`, { method: "POST" })).status).toBe(405);
  });
});

describe("parseWebConfig", () => {
  it("drops the API URL's trailing slash", () => {
    expect(parseWebConfig({ ...config, apiUrl: "http://localhost:4010/" }).apiUrl).toBe(
      "http://localhost:4010",
    );
  });

  it("names every missing or malformed field", () => {
    expect(() => parseWebConfig({ issuer: "not a url", audience: "", clientId: 7 })).toThrow(
      'Invalid /config.json: "audience" must be a non-empty string; "clientId" must be a non-empty string; "apiUrl" must be a non-empty string; "issuer" must be an absolute URL (got "not a url")',
    );
    expect(() => parseWebConfig(null)).toThrow('"issuer" must be a non-empty string');
  });
});

describe("parseWebEnv", () => {
  it("logs in at the first issuer and asks for the first audience of a list", () => {
    expect(
      parseWebEnv({
        AUTH_ISSUER: " https://a.example/ , https://b.example/",
        API_AUDIENCE: "https://quickstarts/api,http://localhost:3010/mcp",
      }),
    ).toMatchObject({ issuer: "https://a.example/", audience: "https://quickstarts/api" });
    expect(parseWebEnv({ AUTHOK_DOMAIN: "a.example, b.example" }).issuer).toBe("https://a.example/");
  });
});

import { describe, expect, it } from "vitest";
import { DEFAULT_DATA_DIR, devIssuerRefusal, IssuerEnvError, parseIssuerEnv } from "./env";

describe("parseIssuerEnv", () => {
  it("has defaults for everything", () => {
    expect(parseIssuerEnv({})).toEqual({
      ISSUER_PORT: 3020,
      ISSUER_HOST: "localhost",
      API_AUDIENCE: ["https://quickstarts/api"],
      WEB_ORIGIN: ["http://localhost:3000"],
      API_ORIGIN: ["http://localhost:3010"],
      ISSUER_DATA_DIR: DEFAULT_DATA_DIR,
      ALLOW_DEV_ISSUER_IN_PRODUCTION: false,
      NODE_ENV: undefined,
    });
    expect(DEFAULT_DATA_DIR).toMatch(/\.data[/\\]issuer$/);
  });

  it("reads lists of origins, dropping trailing slashes; empty values count as unset", () => {
    const env = parseIssuerEnv({
      WEB_ORIGIN: "http://localhost:3000/, http://127.0.0.1:5173",
      API_ORIGIN: "https://api.example.com/",
      ISSUER_PORT: "",
    });
    expect(env.WEB_ORIGIN).toEqual(["http://localhost:3000", "http://127.0.0.1:5173"]);
    expect(env.API_ORIGIN).toEqual(["https://api.example.com"]);
    expect(env.ISSUER_PORT).toBe(3020);
  });

  it("reads API_AUDIENCE as a list of the API's identifiers, the default first, without repeats", () => {
    expect(
      parseIssuerEnv({
        API_AUDIENCE: "https://quickstarts/api, http://localhost:3010/mcp,https://quickstarts/api",
      }).API_AUDIENCE,
    ).toEqual(["https://quickstarts/api", "http://localhost:3010/mcp"]);
  });

  it.each([
    [{ API_AUDIENCE: "https://quickstarts/api,not a url" }, /API_AUDIENCE must be an absolute URI/],
    [{ API_AUDIENCE: " , " }, /API_AUDIENCE must be an absolute URI/],
    [{ ISSUER_PORT: "abc" }, /^Invalid configuration: ISSUER_PORT must be a port number/],
    [{ ISSUER_PORT: "70000" }, /ISSUER_PORT/],
    [{ API_AUDIENCE: "not a url" }, /API_AUDIENCE must be an absolute URI/],
    [{ WEB_ORIGIN: "http://localhost:3000/app" }, /WEB_ORIGIN must be a comma-separated list of origins/],
    [{ API_ORIGIN: "http://localhost:3010/docs" }, /API_ORIGIN must be a comma-separated list of origins/],
    [{ API_ORIGIN: "*" }, /API_ORIGIN must be a comma-separated list of origins/],
    [{ ALLOW_DEV_ISSUER_IN_PRODUCTION: "yes" }, /ALLOW_DEV_ISSUER_IN_PRODUCTION must be "true" or "false"/],
  ])("refuses %o with one line naming the variable", (source, message) => {
    expect(() => parseIssuerEnv(source)).toThrow(IssuerEnvError);
    expect(() => parseIssuerEnv(source)).toThrow(message);
  });
});

describe("ISSUER_ACCESS_TOKEN_FORMAT", () => {
  it("is jwt when unset, opaque when asked, and nothing else", () => {
    expect(parseIssuerEnv({}).ISSUER_ACCESS_TOKEN_FORMAT ?? "jwt").toBe("jwt");
    expect(parseIssuerEnv({ ISSUER_ACCESS_TOKEN_FORMAT: "opaque" }).ISSUER_ACCESS_TOKEN_FORMAT).toBe(
      "opaque",
    );
    expect(() => parseIssuerEnv({ ISSUER_ACCESS_TOKEN_FORMAT: "paseto" })).toThrow(
      'Invalid configuration: ISSUER_ACCESS_TOKEN_FORMAT must be "jwt" or "opaque"',
    );
  });
});

describe("devIssuerRefusal", () => {
  it("refuses production unless explicitly allowed", () => {
    expect(devIssuerRefusal(parseIssuerEnv({}))).toBeUndefined();
    expect(devIssuerRefusal(parseIssuerEnv({ NODE_ENV: "production" }))).toMatch(
      /ALLOW_DEV_ISSUER_IN_PRODUCTION=true/,
    );
    expect(
      devIssuerRefusal(parseIssuerEnv({ NODE_ENV: "production", ALLOW_DEV_ISSUER_IN_PRODUCTION: "true" })),
    ).toBeUndefined();
  });
});

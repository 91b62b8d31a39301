import { describe, expect, it } from "vitest";
import { audienceToResource, normalizeTokenRequest } from "./audience-param";

const form = (params: URLSearchParams) => Object.fromEntries(params);

describe("audienceToResource", () => {
  it("renames audience to resource", () => {
    expect(form(audienceToResource(new URLSearchParams("a=1&audience=https://api")))).toEqual({
      a: "1",
      resource: "https://api",
    });
  });

  it("keeps an explicit resource and drops the audience", () => {
    const params = audienceToResource(new URLSearchParams("audience=https://x&resource=https://api"));
    expect(form(params)).toEqual({ resource: "https://api" });
  });

  it("leaves a request without audience alone", () => {
    expect(audienceToResource(new URLSearchParams("scope=openid")).toString()).toBe("scope=openid");
  });
});

describe("normalizeTokenRequest", () => {
  it("maps the quickstart's form body", () => {
    const body = "grant_type=client_credentials&client_id=c&client_secret=s&audience=https%3A%2F%2Fapi";
    expect(form(normalizeTokenRequest("application/x-www-form-urlencoded", body))).toEqual({
      grant_type: "client_credentials",
      client_id: "c",
      client_secret: "s",
      resource: "https://api",
    });
  });

  it("turns a JSON body into form parameters", () => {
    const body = JSON.stringify({
      grant_type: "client_credentials",
      client_id: "c",
      audience: "https://api",
      n: 1,
    });
    expect(form(normalizeTokenRequest("application/json", body))).toEqual({
      grant_type: "client_credentials",
      client_id: "c",
      resource: "https://api",
      n: "1",
    });
  });

  it("asks for the default scope when a client_credentials request names none", () => {
    const options = { defaultScope: "read:messages" };
    expect(
      normalizeTokenRequest("application/json", '{"grant_type":"client_credentials"}', options).get("scope"),
    ).toBe("read:messages");
    expect(
      normalizeTokenRequest(
        "application/json",
        '{"grant_type":"client_credentials","scope":"x"}',
        options,
      ).get("scope"),
    ).toBe("x");
    expect(
      normalizeTokenRequest("application/json", '{"grant_type":"authorization_code"}', options).has("scope"),
    ).toBe(false);
  });

  it("refuses JSON that is not an object of strings", () => {
    expect(() => normalizeTokenRequest("application/json", "[1]")).toThrow(TypeError);
    expect(() => normalizeTokenRequest("application/json", '{"a":{"b":1}}')).toThrow(TypeError);
    expect(() => normalizeTokenRequest("application/json", "{")).toThrow(SyntaxError);
  });
});

import { describe, expect, it } from "vitest";
import { classifyRedirect, urlWithoutOAuthParams } from "./redirect-callback";

describe("classifyRedirect", () => {
  it("tells a sign-in answer, a sign-out answer and a plain visit apart", () => {
    expect(classifyRedirect("?code=abc&state=xyz&iss=http%3A%2F%2Flocalhost%3A3020%2F")).toBe(
      "signin-callback",
    );
    expect(classifyRedirect("?error=access_denied&state=xyz")).toBe("signin-callback");
    expect(classifyRedirect("?state=xyz")).toBe("signout-callback");
    expect(classifyRedirect("")).toBe("none");
    expect(classifyRedirect("?code=abc")).toBe("none");
  });
});

describe("urlWithoutOAuthParams", () => {
  it("removes the code and state but keeps the rest", () => {
    expect(urlWithoutOAuthParams("http://localhost:3000/?code=a&state=b&iss=c&tab=2#top")).toBe(
      "/?tab=2#top",
    );
    expect(urlWithoutOAuthParams("http://localhost:3000/?code=a&state=b")).toBe("/");
  });
});

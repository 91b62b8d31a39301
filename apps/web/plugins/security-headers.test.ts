import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, securityHeaders } from "./security-headers";

const origins = { apiUrl: "http://localhost:3010", issuer: "http://localhost:3020/" };

describe("contentSecurityPolicy", () => {
  it("lets the SPA reach only itself, the API and the issuer", () => {
    const csp = contentSecurityPolicy(origins);
    expect(csp["connect-src"]).toBe("'self' http://localhost:3010 http://localhost:3020");
    expect(csp["script-src"]).toBe("'self'");
    expect(csp["frame-src"]).toBe("'none'");
  });

  it("lists an origin once when the API and the issuer share it", () => {
    const csp = contentSecurityPolicy({
      apiUrl: "https://id.example.com/api",
      issuer: "https://id.example.com/",
    });
    expect(csp["connect-src"]).toBe("'self' https://id.example.com");
  });
});

describe("securityHeaders", () => {
  it("sends the whole policy, frame-ancestors included, as a header", () => {
    const csp = securityHeaders(origins)["Content-Security-Policy"];
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'; script-src 'self'");
  });
});

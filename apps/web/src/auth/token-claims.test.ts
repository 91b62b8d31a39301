import { describe, expect, it } from "vitest";
import { decodeJwtPayload, formatRelativeTime, summarizeAccessToken } from "./token-claims";

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (payload: unknown) => `${encode({ alg: "RS256", typ: "at+jwt" })}.${encode(payload)}.c2ln`;

describe("decodeJwtPayload", () => {
  it("decodes base64url payloads, including non-ASCII text", () => {
    expect(decodeJwtPayload(jwt({ name: "Zoë 李", n: 1 }))).toEqual({ name: "Zoë 李", n: 1 });
  });

  it("returns undefined for opaque tokens and malformed payloads", () => {
    expect(decodeJwtPayload("opaque-token")).toBeUndefined();
    expect(decodeJwtPayload("a.!!!.c")).toBeUndefined();
    expect(decodeJwtPayload(`a.${encode([1, 2])}.c`)).toBeUndefined();
  });
});

describe("summarizeAccessToken", () => {
  it("reads issuer, audiences, expiry and scopes", () => {
    const summary = summarizeAccessToken(
      jwt({
        iss: "http://localhost:3020/",
        aud: "https://quickstarts/api",
        sub: "alice",
        exp: 1_700_000_600,
        iat: 1_700_000_000,
        scope: "openid profile read:messages",
      }),
    );
    expect(summary).toMatchObject({
      issuer: "http://localhost:3020/",
      audiences: ["https://quickstarts/api"],
      expiresAt: new Date(1_700_000_600_000),
      scopes: ["openid", "profile", "read:messages"],
    });
  });

  it("merges scp and Auth0-style permissions without duplicates", () => {
    const summary = summarizeAccessToken(
      jwt({ aud: ["a", "b"], scp: ["read:messages"], permissions: ["read:messages", "x"] }),
    );
    expect(summary?.audiences).toEqual(["a", "b"]);
    expect(summary?.scopes).toEqual(["read:messages", "x"]);
  });
});

describe("formatRelativeTime", () => {
  const now = new Date("2025-01-01T00:00:00Z");
  it("picks the largest fitting unit", () => {
    expect(formatRelativeTime(new Date("2025-01-01T00:05:00Z"), now)).toBe("in 5 minutes");
    expect(formatRelativeTime(new Date("2024-12-31T22:00:00Z"), now)).toBe("2 hours ago");
    expect(formatRelativeTime(new Date("2025-01-01T00:00:30Z"), now)).toBe("in 30 seconds");
    expect(formatRelativeTime(now, now)).toBe("now");
  });
});

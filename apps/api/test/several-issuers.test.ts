/**
 * Two real issuers behind one API: /readyz reports each one's keys (and `keys` combines them), one
 * issuer down leaves the other's tokens accepted, and RFC 9728 metadata names both.
 */
import { createAccessTokenVerifier } from "@quickstart/auth";
import { startTestIssuer } from "@quickstart/auth/testing";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";

describe("with several issuers", () => {
  it("reports each issuer's keys, one down while the other serves, and lists both in RFC 9728 metadata", async () => {
    const up = await startTestIssuer();
    const down = await startTestIssuer();
    const several = createAccessTokenVerifier({
      issuer: [up.issuer, down.issuer],
      audience: up.audience,
      fetchCooldownMs: 0,
    });
    const severalApp = await buildApp({ verifier: several });
    const inject = async (url: string, headers: Record<string, string> = {}) => {
      const response = await severalApp.inject({ url, headers });
      return [response.statusCode, response.json()] as const;
    };
    try {
      expect(await inject("/readyz")).toEqual([
        200,
        {
          status: "ready",
          keys: "not_loaded",
          issuers: { [up.issuer]: "not_loaded", [down.issuer]: "not_loaded" },
        },
      ]);
      const downToken = await down.sign();
      await down.close();
      expect((await inject("/api/private", { authorization: `Bearer ${await up.sign()}` }))[0]).toBe(200);
      expect(await inject("/api/private", { authorization: `Bearer ${downToken}` })).toEqual([
        503,
        {
          code: "jwks_unavailable",
          description: "The issuer's signing keys could not be fetched; try again shortly",
        },
      ]);
      expect(await inject("/readyz")).toEqual([
        200,
        { status: "ready", keys: "loaded", issuers: { [up.issuer]: "loaded", [down.issuer]: "not_loaded" } },
      ]);
      expect((await inject("/.well-known/oauth-protected-resource"))[1].authorization_servers).toEqual([
        up.issuer,
        down.issuer,
      ]);
    } finally {
      several.close();
      await severalApp.close();
      await up.close();
    }
  });
});

import { describe, expect, it } from "vitest";
import { type AudienceClaims, type AudiencePolicy, checkAudience, checkTokenUse } from "./audience";
import { TokenClaimsInvalid } from "./errors";

/** The detail of the refusal, or "accepted". */
function outcome(check: () => void): string {
  try {
    check();
    return "accepted";
  } catch (error) {
    if (error instanceof TokenClaimsInvalid) return error.detail ?? "";
    throw error;
  }
}

const API = "https://quickstarts/api";
const withoutClients: AudiencePolicy = { audiences: [API], clientIds: [] };
const withClients: AudiencePolicy = { audiences: [API, "api://x"], clientIds: ["app-client"] };

describe("checkAudience", () => {
  it.each<[string, AudienceClaims, AudiencePolicy, string]>([
    ["aud naming the API", { aud: API }, withoutClients, "accepted"],
    ["aud containing the API", { aud: ["account", API] }, withoutClients, "accepted"],
    ["another audience", { aud: "account" }, withoutClients, `aud expected "${API}", got "account"`],
    [
      "another audience, with the profile's hint",
      { aud: "account" },
      { ...withoutClients, hint: "add an Audience mapper" },
      `aud expected "${API}", got "account"; add an Audience mapper`,
    ],
    [
      "no aud without client IDs",
      {},
      withoutClients,
      `aud expected "${API}", got none; no aud: set AUTH_CLIENT_IDS for Cognito, or add an audience mapper in Keycloak`,
    ],
    [
      "no aud, a listed client's access token",
      { client_id: "app-client", token_use: "access" },
      withClients,
      "accepted",
    ],
    [
      "no aud, another client",
      { client_id: "other", token_use: "access" },
      withClients,
      'no aud, and client_id "other" is not among AUTH_CLIENT_IDS ["app-client"]',
    ],
    [
      "no aud, no token_use",
      { client_id: "app-client" },
      withClients,
      'no aud, and token_use expected "access", got undefined',
    ],
    [
      "an aud not listed, even with client IDs",
      { aud: "app-client", client_id: "app-client", token_use: "access" },
      withClients,
      `aud expected ["${API}","api://x"], got "app-client"`,
    ],
    ["an aud listed, with client IDs", { aud: "api://x" }, withClients, "accepted"],
  ])("%s", (_name, claims, policy, expected) => {
    expect(outcome(() => checkAudience(claims, policy))).toBe(expected);
  });
});

describe("checkTokenUse", () => {
  it.each<[AudienceClaims, string]>([
    [{}, "accepted"],
    [{ token_use: "access" }, "accepted"],
    [{ token_use: "id" }, 'token_use expected "access", got "id": not an access token'],
    [{ token_use: 1 }, 'token_use expected "access", got 1: not an access token'],
  ])("%j: %s", (claims, expected) => {
    expect(outcome(() => checkTokenUse(claims))).toBe(expected);
  });
});

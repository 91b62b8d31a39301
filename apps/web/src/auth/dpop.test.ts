import { describe, expect, it } from "vitest";
import { describeTokenSending } from "./dpop";

describe("describeTokenSending", () => {
  it("says what the calls send: DPoP with a proof, a bearer token, or nothing", () => {
    expect(describeTokenSending({ type: "DPoP", thumbprint: "abc" })).toMatch(/Authorization: DPoP.*proof/);
    expect(describeTokenSending({ type: "DPoP" })).not.toMatch(/bearer/i);
    expect(describeTokenSending({ type: "Bearer" })).toMatch(/bearer token \(Authorization: Bearer\)/);
    expect(describeTokenSending(undefined)).toMatch(/without an access token/);
  });
});

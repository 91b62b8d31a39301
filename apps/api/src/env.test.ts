import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";

const valid = { AUTHOK_DOMAIN: "example.authok.cn", API_AUDIENCE: "https://quickstarts/api" };
const problems = (source: Record<string, string>) => {
  const parsed = parseEnv(source);
  return "problems" in parsed ? parsed.problems : [];
};

describe("parseEnv", () => {
  it("names every missing variable in one run", () => {
    expect(problems({})).toEqual([
      "API_AUDIENCE is required: the identifier of this API at the issuer",
      "AUTHOK_DOMAIN or AUTH_ISSUER is required: the issuer whose access tokens this API accepts",
    ]);
  });

  it("counts empty values as unset", () => {
    expect(problems({ ...valid, API_AUDIENCE: "" })).toEqual([
      "API_AUDIENCE is required: the identifier of this API at the issuer",
    ]);
  });

  it.each([
    [{ AUTHOK_DOMAIN: "https://example.authok.cn/" }, /^AUTHOK_DOMAIN must be a host name/],
    [{ AUTH_ISSUER: "http://issuer.example.com/" }, /^AUTH_ISSUER /],
    [{ PORT: "abc" }, /^PORT /],
    [{ PORT: "70000" }, /^PORT /],
    [{ AUTH_ALGORITHMS: "HS256" }, /^AUTH_ALGORITHMS.* must list only/],
    [{ LOG_LEVEL: "loud" }, /^LOG_LEVEL /],
  ])("names the variable in %j", (override, message) => {
    const found = problems({ ...valid, ...override });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it("fills in the defaults for a valid environment", () => {
    const parsed = parseEnv(valid);
    expect(parsed).toMatchObject({
      env: {
        PORT: 3010,
        HOST: "localhost",
        CORS_ORIGINS: "*",
        LOG_LEVEL: "info",
        AUTH_ALGORITHMS: ["RS256"],
      },
    });
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnv, verifierConfigFromEnv } from "./env";

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
    [{ AUTH_JWKS_MAX_AGE_S: "0" }, /^AUTH_JWKS_MAX_AGE_S /],
    [{ AUTH_JWKS_MAX_AGE_S: "1.5" }, /^AUTH_JWKS_MAX_AGE_S /],
    [{ AUTH_JWKS_MAX_AGE_S: "86401" }, /^AUTH_JWKS_MAX_AGE_S /],
    [{ AUTH_CA_FILE: "/no/such/ca.pem" }, /^AUTH_CA_FILE \/no\/such\/ca\.pem cannot be read \(ENOENT\)$/],
    [{ SHUTDOWN_DELAY_MS: "5s" }, /^SHUTDOWN_DELAY_MS must be a number of milliseconds/],
    [{ SHUTDOWN_TIMEOUT_MS: "-1" }, /^SHUTDOWN_TIMEOUT_MS must be 0 or more/],
    [{ API_PUBLIC_URL: "api.example.com" }, /^API_PUBLIC_URL must be a URL/],
    [{ API_PUBLIC_URL: "ftp://api.example.com" }, /^API_PUBLIC_URL must use http: or https:/],
    [{ API_PUBLIC_URL: "https://api.example.com/?x=1" }, /^API_PUBLIC_URL must not have a query/],
    [{ AUTH_DPOP: "sometimes" }, /^AUTH_DPOP must be allowed, required or disabled/],
    [{ AUTH_DPOP_ALGORITHMS: "ES256,HS256" }, /^AUTH_DPOP_ALGORITHMS.* must list only/],
    [{ AUTH_DPOP_ALGORITHMS: "none" }, /^AUTH_DPOP_ALGORITHMS.* must list only/],
    [{ AUTH_DPOP_PROOF_WINDOW: "0" }, /^AUTH_DPOP_PROOF_WINDOW must be a number of seconds/],
    [{ AUTH_DPOP_NONCE: "yes" }, /^AUTH_DPOP_NONCE /],
    [{ AUTH_DPOP_NONCE_SECRET: "short" }, /^AUTH_DPOP_NONCE_SECRET must be at least 32 characters/],
    [{ REDIS_URL: "http://127.0.0.1:6379" }, /^REDIS_URL must start with redis:\/\/ or rediss:\/\//],
    [{ REDIS_URL: "localhost:6379x" }, /^REDIS_URL /],
    [{ METRICS_PORT: "metrics" }, /^METRICS_PORT must be a port number/],
    [{ METRICS_PORT: "65536" }, /^METRICS_PORT must be a port number/],
    [{ METRICS_PORT: "3010" }, /^METRICS_PORT must differ from PORT/],
    [{ PORT: "9000", METRICS_PORT: "9000" }, /^METRICS_PORT must differ from PORT/],
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
        SHUTDOWN_DELAY_MS: 0,
        SHUTDOWN_TIMEOUT_MS: 10_000,
        AUTH_ALGORITHMS: ["RS256"],
        AUTH_DPOP: "allowed",
        AUTH_DPOP_ALGORITHMS: ["ES256", "EdDSA", "Ed25519", "PS256", "RS256"],
        AUTH_DPOP_PROOF_WINDOW: 60,
        AUTH_DPOP_NONCE: false,
      },
    });
  });

  it("takes API_PUBLIC_URL without its trailing slash, and leaves it unset by default", () => {
    expect(parseEnv({ ...valid, API_PUBLIC_URL: "https://api.example.com/v1/" })).toMatchObject({
      env: { API_PUBLIC_URL: "https://api.example.com/v1" },
    });
    const parsed = parseEnv(valid);
    expect("env" in parsed && parsed.env.API_PUBLIC_URL).toBeUndefined();
  });

  it("turns AUTH_JWKS_MAX_AGE_S (seconds) and AUTH_CA_FILE (a PEM file) into verifier options", async () => {
    const dir = await mkdtemp(join(tmpdir(), "api-env-"));
    try {
      const caFile = join(dir, "ca.pem");
      await writeFile(caFile, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
      const parsed = parseEnv({ ...valid, AUTH_JWKS_MAX_AGE_S: "2", AUTH_CA_FILE: caFile });
      if (!("env" in parsed)) throw new Error(parsed.problems.join("; "));
      expect(verifierConfigFromEnv(parsed.env)).toMatchObject({ jwksMaxAgeMs: 2000, caFile });
      await writeFile(caFile, "not a certificate");
      expect(problems({ ...valid, AUTH_CA_FILE: caFile })).toEqual([
        `AUTH_CA_FILE ${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeAuthSettings, parseEnv, verifierConfigFromEnv } from "./env";

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
    [{ TRPC_MAX_BATCH_SIZE: "0" }, /^TRPC_MAX_BATCH_SIZE must be a whole number of calls \(1-100\)$/],
    [{ TRPC_MAX_BATCH_SIZE: "many" }, /^TRPC_MAX_BATCH_SIZE must be a whole number of calls \(1-100\)$/],
    [{ AUTH_PROFILE: "google" }, /^AUTH_PROFILE must be one of auth0, entra, okta, cognito, keycloak$/],
    [{ API_AUDIENCE: " , " }, /^API_AUDIENCE must list at least one identifier/],
    [
      { AUTH_ISSUER: "https://a.example/, http://b.example/" },
      /^AUTH_ISSUER entry 2 \("http:\/\/b.example\/"\) must use https:/,
    ],
    [
      { AUTH_ISSUER: "https://login.microsoftonline.com/{tenantid}/v2.0" },
      /^AUTH_TENANTS is required with the issuer template https:\/\/login.microsoftonline.com\/{tenantid}\/v2.0 in AUTH_ISSUER/,
    ],
    [
      { AUTH_TENANTS: "9188040d-6c67-4c5b-b112-36a304b66dad" },
      /^AUTH_TENANTS applies only to an issuer template/,
    ],
    [
      { AUTH_ISSUER: "https://login.microsoftonline.com/{tenantid}/v2.0", AUTH_TENANTS: "a, common" },
      /^AUTH_TENANTS entry 2 \("common"\) must list tenant IDs, not common, organizations, consumers, \*/,
    ],
    [{ AUTH_ISSUER_INTERNAL_URL: "http://issuer:3020/path" }, /^AUTH_ISSUER_INTERNAL_URL must be an origin/],
    [{ AUTH_SCOPE_CLAIMS: "scp roles" }, /^AUTH_SCOPE_CLAIMS must list claim names/],
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

  it("caps tRPC batches at 10 calls unless TRPC_MAX_BATCH_SIZE says otherwise", () => {
    expect(parseEnv(valid)).toMatchObject({ env: { TRPC_MAX_BATCH_SIZE: 10 } });
    expect(parseEnv({ ...valid, TRPC_MAX_BATCH_SIZE: "3" })).toMatchObject({
      env: { TRPC_MAX_BATCH_SIZE: 3 },
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

  it("reads the lists, spaces around commas allowed, and the profile into verifier options", () => {
    const parsed = parseEnv({
      AUTH_ISSUER: "https://login.microsoftonline.com/{tenantid}/v2.0 , https://sts.windows.net/t1/",
      AUTH_TENANTS: "t1,  t2",
      API_AUDIENCE: "api://quickstart, 00000000-0000-0000-0000-000000000001",
      AUTH_PROFILE: "entra",
      AUTH_CLIENT_IDS: "c1,c2",
      AUTH_ISSUER_INTERNAL_URL: "http://issuer:3020/",
    });
    if (!("env" in parsed)) throw new Error(parsed.problems.join("; "));
    const config = verifierConfigFromEnv(parsed.env);
    expect(config).toMatchObject({
      issuer: ["https://login.microsoftonline.com/{tenantid}/v2.0", "https://sts.windows.net/t1/"],
      tenants: ["t1", "t2"],
      audience: ["api://quickstart", "00000000-0000-0000-0000-000000000001"],
      profile: "entra",
      clientIds: ["c1", "c2"],
      fetchOrigins: { "https://login.microsoftonline.com": "http://issuer:3020" },
    });
    expect(describeAuthSettings(config)).toMatchObject({ profile: "entra", scopeClaims: ["scp", "roles"] });
    expect(describeAuthSettings({ ...config, scopeClaims: ["scp"] }).scopeClaims).toEqual(["scp"]);
  });

  it("makes each AUTHOK_DOMAIN of a list an issuer, and keeps one issuer and one audience as before", () => {
    const parsed = parseEnv({
      AUTHOK_DOMAIN: "a.example, b.example",
      API_AUDIENCE: "https://quickstarts/api",
    });
    if (!("env" in parsed)) throw new Error(parsed.problems.join("; "));
    expect(verifierConfigFromEnv(parsed.env)).toMatchObject({
      issuer: ["https://a.example/", "https://b.example/"],
      audience: ["https://quickstarts/api"],
    });
    expect(describeAuthSettings(verifierConfigFromEnv(parsed.env))).toMatchObject({
      profile: "none",
      scopeClaims: ["scope", "permissions"],
    });
  });

  describe("opaque tokens (AUTH_INTROSPECTION_*)", () => {
    const client = {
      AUTH_INTROSPECTION_CLIENT_ID: "quickstart-api",
      AUTH_INTROSPECTION_CLIENT_SECRET: "s3cret",
    };
    const configOf = (source: Record<string, string>) => {
      const parsed = parseEnv(source);
      if (!("env" in parsed)) throw new Error(parsed.problems.join("; "));
      return verifierConfigFromEnv(parsed.env);
    };

    it("leaves introspection off without the client variables", () => {
      expect(configOf(valid).introspection).toBeUndefined();
    });

    it("turns the variables into the verifier's introspection options, logged without the secret", () => {
      const config = configOf({
        ...valid,
        ...client,
        AUTH_INTROSPECTION_URL: "https://example.authok.cn/oauth2/v1/introspect",
        AUTH_INTROSPECTION_CACHE_S: "30",
        AUTH_INTROSPECTION_MAX_CONCURRENT: "4",
        AUTH_INTROSPECTION_MAX_PER_SECOND: "50",
      });
      expect(JSON.stringify(describeAuthSettings(config))).not.toContain("s3cret");
      expect(describeAuthSettings(config).introspection).toMatchObject({
        clientId: "quickstart-api",
        maxPerSecond: 50,
      });
      expect(config.introspection).toEqual({
        clientId: "quickstart-api",
        clientSecret: "s3cret",
        endpoint: "https://example.authok.cn/oauth2/v1/introspect",
        cacheSeconds: 30,
        maxConcurrent: 4,
        maxPerSecond: 50,
      });
    });

    it.each([
      [
        { AUTH_INTROSPECTION_CLIENT_ID: "quickstart-api" },
        "AUTH_INTROSPECTION_CLIENT_SECRET is required with AUTH_INTROSPECTION_CLIENT_ID: the API's client secret at the issuer",
      ],
      [
        { AUTH_INTROSPECTION_CLIENT_SECRET: "s3cret" },
        "AUTH_INTROSPECTION_CLIENT_ID is required with AUTH_INTROSPECTION_CLIENT_SECRET: the API's client id at the issuer",
      ],
      [
        { AUTH_INTROSPECTION_URL: "https://example.authok.cn/introspect" },
        "AUTH_INTROSPECTION_URL has no effect without AUTH_INTROSPECTION_CLIENT_ID and AUTH_INTROSPECTION_CLIENT_SECRET",
      ],
      [
        { ...client, AUTH_INTROSPECTION_URL: "http://issuer.example.com/introspect" },
        /^AUTH_INTROSPECTION_URL must use https:/,
      ],
      [{ ...client, AUTH_INTROSPECTION_CACHE_S: "0" }, /^AUTH_INTROSPECTION_CACHE_S /],
      [{ ...client, AUTH_INTROSPECTION_MAX_CONCURRENT: "lots" }, /^AUTH_INTROSPECTION_MAX_CONCURRENT /],
      [{ ...client, AUTH_INTROSPECTION_MAX_PER_SECOND: "0" }, /^AUTH_INTROSPECTION_MAX_PER_SECOND /],
    ])("names the variable in %j", (override, message) => {
      const found = problems({ ...valid, ...override });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(message);
    });
  });
});

/**
 * Each identity provider of README's "Use your identity provider" table, configured as the table
 * says (AUTH_PROFILE and the variables beside it), with tokens shaped as that provider documents
 * them, signed for real and verified with keys fetched over HTTP from a test issuer on 127.0.0.1.
 * Each case, accepted or a near miss, runs over REST and tRPC and checks the status, the `code`,
 * `WWW-Authenticate` and the refusal's log detail.
 *
 * Token shapes:
 * - Auth0: https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles
 * - Entra ID: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 * - Okta: https://developer.okta.com/docs/api/openapi/okta-oauth/guides/overview/ (custom AS)
 * - Cognito: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 * - Keycloak: its default access token, before and after an Audience mapper
 */
import { Writable } from "node:stream";
import { createAccessTokenVerifier, type VerifierConfig } from "@quickstart/auth";
import { startTestIssuer, type TestIssuer } from "@quickstart/auth/testing";
import type { FastifyInstance } from "fastify";
import type { JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app";

const API = "https://quickstarts/api";
const PUBLIC_URL = "https://api.example";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const ENTRA_APP_ID = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
const COGNITO_CLIENT = "1example23456789";
const now = Math.floor(Date.now() / 1000);

/** The issuers every provider's tokens come from, started once. */
interface Issuers {
  auth0a: TestIssuer;
  auth0b: TestIssuer;
  outsider: TestIssuer;
  entra: TestIssuer;
  /** Entra's v1 endpoint, https://sts.windows.net/{tenantid}/, with the same keys. */
  entraV1: string;
  okta: TestIssuer;
  cognito: TestIssuer;
  keycloak: TestIssuer;
}

/** What a request came to: 200, or a refusal with its code, challenge and logged detail. */
type Expected =
  | { status: 200 }
  | { status: 401 | 403 | 503; code: string; detail: string | RegExp; scope?: string };

interface TokenCase {
  name: string;
  /** The token's claims (the issuer's defaults are dropped: each provider's shape is complete). */
  claims: (issuers: Issuers) => JWTPayload;
  /** Which issuer signs it. */
  signer: (issuers: Issuers) => TestIssuer;
  expected: (issuers: Issuers) => Expected;
}

interface ProviderCase {
  provider: string;
  /** The verifier's options, as the README's table sets the variables. */
  config: (issuers: Issuers) => VerifierConfig;
  tokens: TokenCase[];
}

const ACCEPTED: Expected = { status: 200 };
const insufficient = (granted: string[]): Expected => ({
  status: 403,
  code: "Unauthorized",
  detail: `scopes required ["read:messages"], granted ${JSON.stringify(granted)}`,
  scope: "read:messages",
});
const badClaims = (detail: string | RegExp): Expected => ({ status: 401, code: "invalid_claims", detail });

const times = { iat: now, nbf: now, exp: now + 3600 };

const entraV2 = (issuers: Issuers, extra: JWTPayload = {}): JWTPayload => ({
  aud: ENTRA_APP_ID,
  iss: issuers.entra.issuerFor(TENANT),
  ...times,
  azp: "f0d2c7f5-5e4c-4b1e-9b4c-3c2f2f6b7a11",
  azpacr: "0",
  name: "Alice",
  oid: "00000000-0000-0000-66f3-3332eca7ea81",
  preferred_username: "alice@contoso.com",
  rh: "0.AAAA",
  scp: "read:messages",
  sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
  tid: TENANT,
  uti: "fqiBqXLPj0eQa82S-IYFAA",
  ver: "2.0",
  ...extra,
});

const PROVIDERS: ProviderCase[] = [
  {
    provider: "Auth0, two custom domains",
    config: (i) => ({ issuer: [i.auth0a.issuer, i.auth0b.issuer], audience: API, profile: "auth0" }),
    tokens: [
      {
        name: "an access token with permissions (RBAC) from the first domain",
        signer: (i) => i.auth0a,
        claims: (i) => ({
          iss: i.auth0a.issuer,
          sub: "auth0|5f7c8ec7c33c6c004bbafe82",
          aud: [API, `${i.auth0a.issuer}userinfo`],
          ...times,
          azp: "my-spa-client-id",
          scope: "openid profile",
          permissions: ["read:messages"],
        }),
        expected: () => ACCEPTED,
      },
      {
        name: "a client-credentials token from the second domain",
        signer: (i) => i.auth0b,
        claims: (i) => ({
          iss: i.auth0b.issuer,
          sub: "machine-client@clients",
          aud: API,
          ...times,
          azp: "machine-client",
          scope: "read:messages",
          gty: "client-credentials",
        }),
        expected: () => ACCEPTED,
      },
      {
        name: "a token from a domain outside the list",
        signer: (i) => i.outsider,
        claims: (i) => ({ iss: i.outsider.issuer, sub: "x", aud: API, ...times, scope: "read:messages" }),
        expected: (i) =>
          badClaims(
            `iss "${i.outsider.issuer}" is not among the configured issuers ["${i.auth0a.issuer}","${i.auth0b.issuer}"]`,
          ),
      },
      {
        name: "a token signed with the first domain's key that claims the second",
        signer: (i) => i.auth0a,
        claims: (i) => ({ iss: i.auth0b.issuer, sub: "x", aud: API, ...times, scope: "read:messages" }),
        expected: () => ({ status: 401, code: "invalid_header", detail: /is not among the issuer's keys/ }),
      },
      {
        name: "an ID token (aud is the SPA's client ID)",
        signer: (i) => i.auth0a,
        claims: (i) => ({
          iss: i.auth0a.issuer,
          sub: "auth0|1",
          aud: "my-spa-client-id",
          ...times,
          nonce: "n",
        }),
        expected: () =>
          badClaims(
            `aud expected "${API}", got "my-spa-client-id"; Auth0 puts the API's Identifier (APIs > your API > Settings) in aud`,
          ),
      },
    ],
  },
  {
    provider: "Entra ID, multi-tenant v2 and v1",
    config: (i) => ({
      issuer: [i.entra.issuer, i.entraV1],
      tenants: [TENANT],
      audience: [ENTRA_APP_ID, "api://quickstart-api"],
      profile: "entra",
      // Both endpoints sign with the same keys, published at one URL.
      jwksUri: i.entra.jwksUri,
    }),
    tokens: [
      {
        name: "a v2 delegated token (scp)",
        signer: (i) => i.entra,
        claims: (i) => entraV2(i),
        expected: () => ACCEPTED,
      },
      {
        name: "a v1 delegated token (App ID URI as aud, sts.windows.net issuer)",
        signer: (i) => i.entra,
        claims: (i) => ({
          aud: "api://quickstart-api",
          iss: i.entraV1.replace("{tenantid}", TENANT),
          ...times,
          appid: "f0d2c7f5-5e4c-4b1e-9b4c-3c2f2f6b7a11",
          appidacr: "0",
          oid: "00000000-0000-0000-66f3-3332eca7ea81",
          scp: "User.Read read:messages",
          sub: "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
          tid: TENANT,
          unique_name: "alice@contoso.com",
          upn: "alice@contoso.com",
          ver: "1.0",
        }),
        expected: () => ACCEPTED,
      },
      {
        name: "an app-only token (roles, no scp)",
        signer: (i) => i.entra,
        claims: (i) => entraV2(i, { scp: undefined, roles: ["read:messages"], idtyp: "app", sub: "app-oid" }),
        expected: () => ACCEPTED,
      },
      {
        name: "a token of a tenant not allowed",
        signer: (i) => i.entra,
        claims: (i) => entraV2(i, { iss: i.entra.issuerFor("other-tenant"), tid: "other-tenant" }),
        expected: (i) =>
          badClaims(`tid "other-tenant" is not among the allowed tenants ["${TENANT}"] of ${i.entra.issuer}`),
      },
      {
        name: "scp as a number",
        signer: (i) => i.entra,
        claims: (i) => entraV2(i, { scp: 5 }),
        expected: () =>
          badClaims(
            "scp expected a space-delimited string or an array of strings, got 5 (scopes are read from scp, roles)",
          ),
      },
      {
        name: "an app role that is not a scope",
        signer: (i) => i.entra,
        claims: (i) => entraV2(i, { scp: undefined, roles: ["Messages.Admin"], idtyp: "app" }),
        expected: () => insufficient(["Messages.Admin"]),
      },
      {
        name: "a token for Microsoft Graph (another aud)",
        signer: (i) => i.entra,
        claims: (i) => entraV2(i, { aud: "00000003-0000-0000-c000-000000000000" }),
        expected: () =>
          badClaims(
            new RegExp(
              `^aud expected \\["${ENTRA_APP_ID}","api://quickstart-api"\\], got "00000003-0000-0000-c000-000000000000"; Entra ID puts`,
            ),
          ),
      },
    ],
  },
  {
    provider: "Okta custom authorization server",
    config: (i) => ({ issuer: i.okta.issuer, audience: "api://default", profile: "okta" }),
    tokens: [
      {
        name: "an access token with scp as an array",
        signer: (i) => i.okta,
        claims: (i) => ({
          ver: 1,
          jti: "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
          iss: i.okta.issuer,
          aud: "api://default",
          ...times,
          cid: "0oa1d4rdqzF0OjBxo4x7",
          uid: "00uid4BxXw6I6TV4m0g3",
          scp: ["openid", "read:messages"],
          auth_time: now,
          sub: "alice@example.com",
        }),
        expected: () => ACCEPTED,
      },
      {
        name: "an access token without the scope",
        signer: (i) => i.okta,
        claims: (i) => ({
          ver: 1,
          iss: i.okta.issuer,
          aud: "api://default",
          ...times,
          scp: ["openid"],
          sub: "a",
        }),
        expected: () => insufficient(["openid"]),
      },
      {
        name: "an ID token (aud is the client ID, no scp)",
        signer: (i) => i.okta,
        claims: (i) => ({
          ver: 1,
          iss: i.okta.issuer,
          aud: "0oa1d4rdqzF0OjBxo4x7",
          ...times,
          sub: "a",
          amr: ["pwd"],
        }),
        expected: () => badClaims(/^aud expected "api:\/\/default", got "0oa1d4rdqzF0OjBxo4x7"; Okta puts/),
      },
    ],
  },
  {
    provider: "Cognito with AUTH_CLIENT_IDS and AUTH_SCOPE_PREFIX",
    config: (i) => ({
      issuer: i.cognito.issuer,
      audience: API,
      profile: "cognito",
      clientIds: [COGNITO_CLIENT],
      scopePrefix: `${API}/`,
    }),
    tokens: [
      {
        name: "an access token (no aud, client_id, token_use access, prefixed scopes)",
        signer: (i) => i.cognito,
        claims: (i) => cognitoAccess(i),
        expected: () => ACCEPTED,
      },
      {
        name: "an ID token (token_use id, aud is the client)",
        signer: (i) => i.cognito,
        claims: (i) => ({
          sub: "aaaaaaaa-bbbb-cccc-dddd-example",
          aud: COGNITO_CLIENT,
          "cognito:username": "alice",
          email: "alice@example.com",
          token_use: "id",
          auth_time: now,
          iss: i.cognito.issuer,
          ...times,
        }),
        expected: () => badClaims('token_use expected "access", got "id": not an access token'),
      },
      {
        name: "an access token of another client",
        signer: (i) => i.cognito,
        claims: (i) => cognitoAccess(i, { client_id: "someotherclient" }),
        expected: () =>
          badClaims(
            `no aud, and client_id "someotherclient" is not among AUTH_CLIENT_IDS ["${COGNITO_CLIENT}"]`,
          ),
      },
      {
        name: "an unprefixed scope (another resource server's would be prefixed otherwise)",
        signer: (i) => i.cognito,
        claims: (i) => cognitoAccess(i, { scope: "read:messages other-server/read:messages" }),
        expected: () => insufficient([]),
      },
    ],
  },
  {
    provider: "Cognito without AUTH_CLIENT_IDS",
    config: (i) => ({ issuer: i.cognito.issuer, audience: API, profile: "cognito" }),
    tokens: [
      {
        name: "an access token (no aud) is refused, saying why",
        signer: (i) => i.cognito,
        claims: (i) => cognitoAccess(i),
        expected: () =>
          badClaims(
            `aud expected "${API}", got undefined; no aud: set AUTH_CLIENT_IDS for Cognito, or add an audience mapper in Keycloak`,
          ),
      },
    ],
  },
  {
    provider: "Keycloak",
    config: (i) => ({ issuer: i.keycloak.issuer, audience: "quickstart-api", profile: "keycloak" }),
    tokens: [
      {
        name: "an access token with an Audience mapper",
        signer: (i) => i.keycloak,
        claims: (i) => keycloakAccess(i, { aud: ["quickstart-api", "account"] }),
        expected: () => ACCEPTED,
      },
      {
        name: 'an access token without the mapper (aud "account")',
        signer: (i) => i.keycloak,
        claims: (i) => keycloakAccess(i, { aud: "account" }),
        expected: () =>
          badClaims(
            'aud expected "quickstart-api", got "account"; Keycloak puts only "account" (or nothing) in aud until a client scope of the client has an Audience mapper naming the API',
          ),
      },
      {
        name: "an access token without aud (only azp)",
        signer: (i) => i.keycloak,
        claims: (i) => keycloakAccess(i, { aud: undefined }),
        expected: () =>
          badClaims(
            'aud expected "quickstart-api", got undefined; no aud: set AUTH_CLIENT_IDS for Cognito, or add an audience mapper in Keycloak',
          ),
      },
    ],
  },
];

function cognitoAccess(i: Issuers, extra: JWTPayload = {}): JWTPayload {
  return {
    sub: "aaaaaaaa-bbbb-cccc-dddd-example",
    "cognito:groups": ["admin"],
    iss: i.cognito.issuer,
    version: 2,
    client_id: COGNITO_CLIENT,
    origin_jti: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    token_use: "access",
    scope: `openid ${API}/read:messages`,
    auth_time: now,
    ...times,
    jti: "aaaaaaaa-bbbb-cccc-dddd-ffffffffffff",
    username: "alice",
    ...extra,
  };
}

function keycloakAccess(i: Issuers, extra: JWTPayload): JWTPayload {
  return {
    ...times,
    auth_time: now,
    jti: "onrtac:3b1c9e0a",
    iss: i.keycloak.issuer,
    sub: "f1b2c3d4-0000-4000-8000-000000000001",
    typ: "Bearer",
    azp: "quickstart-spa",
    sid: "5a1c",
    acr: "1",
    "allowed-origins": ["http://localhost:3000"],
    realm_access: { roles: ["default-roles-quickstart", "offline_access"] },
    resource_access: { account: { roles: ["manage-account"] } },
    scope: "openid profile email read:messages",
    email_verified: true,
    preferred_username: "alice",
    ...extra,
  };
}

let issuers: Issuers;

beforeAll(async () => {
  const [auth0a, auth0b, outsider, entra, okta, cognito, keycloak] = await Promise.all([
    startTestIssuer(),
    startTestIssuer(),
    startTestIssuer(),
    startTestIssuer({ path: "/{tenantid}/v2.0" }),
    startTestIssuer({ path: "/oauth2/default" }),
    startTestIssuer({ path: "/us-east-1_Example" }),
    startTestIssuer({ path: "/realms/quickstart" }),
  ]);
  issuers = {
    auth0a,
    auth0b,
    outsider,
    entra,
    entraV1: `${entra.listeningOrigin}/sts/{tenantid}/`,
    okta,
    cognito,
    keycloak,
  };
});
afterAll(async () => {
  const { entraV1: _, ...servers } = issuers;
  await Promise.all(Object.values(servers).map((issuer) => issuer.close()));
});

/** Signs exactly `claims`: undefined values are left out, no defaults added. */
async function signExactly(issuer: TestIssuer, claims: JWTPayload): Promise<string> {
  const defaults = { iss: undefined, aud: undefined, sub: undefined, client_id: undefined, jti: undefined };
  return issuer.sign({ ...defaults, scope: undefined, iat: undefined, exp: undefined, ...claims });
}

const TRANSPORTS = [
  ["REST", "/api/private-scoped"],
  ["tRPC", "/trpc/privateScoped"],
] as const;

describe.each(PROVIDERS)("$provider", ({ config, tokens }) => {
  let app: FastifyInstance;
  const refusals: { code?: string; detail?: string }[] = [];

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) {
          const entry = JSON.parse(line);
          if (entry.msg === "request refused") refusals.push(entry);
        }
        done();
      },
    });
    app = await buildApp({
      verifier: createAccessTokenVerifier({ ...config(issuers), fetchCooldownMs: 0 }),
      publicUrl: PUBLIC_URL,
      logger: { level: "info", stream },
    });
  });
  afterAll(() => app.close());

  describe.each(TRANSPORTS)("over %s", (_transport, path) => {
    it.each(tokens)("$name", async ({ claims, signer, expected }) => {
      const token = await signExactly(signer(issuers), claims(issuers));
      const want = expected(issuers);
      const before = refusals.length;
      const response = await app.inject({ url: path, headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode).toBe(want.status);
      const challenge = [response.headers["www-authenticate"] ?? []].flat().join(", ");
      if (want.status === 200) {
        expect(challenge).toBe("");
        expect(refusals.length).toBe(before);
        return;
      }
      const body = response.json();
      expect(path.startsWith("/api") ? body.code : body.error.data.auth.code).toBe(want.code);
      const metadata = `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource"`;
      expect(challenge).toBe(
        want.status === 403
          ? `Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="${want.scope}", ${metadata}, DPoP algs="ES256 EdDSA Ed25519 PS256 RS256", ${metadata}`
          : `Bearer error="invalid_token", error_description="${body.description ?? body.error.data.auth.description}", ${metadata}, DPoP algs="ES256 EdDSA Ed25519 PS256 RS256", ${metadata}`,
      );
      const logged = refusals.slice(before);
      expect(logged).toHaveLength(1);
      expect(logged[0]?.code).toBe(want.code);
      if (typeof want.detail === "string") expect(logged[0]?.detail).toBe(want.detail);
      else expect(logged[0]?.detail).toMatch(want.detail);
      for (const part of token.split(".")) expect(JSON.stringify(logged)).not.toContain(part);
    });
  });
});

describe("an issuer outside the list", () => {
  it("costs no request to it, nor to the listed issuers", async () => {
    const { auth0a, auth0b, outsider } = issuers;
    const app = await buildApp({
      verifier: createAccessTokenVerifier({ issuer: [auth0a.issuer, auth0b.issuer], audience: API }),
    });
    for (const issuer of [auth0a, auth0b, outsider])
      Object.assign(issuer.requests, { discovery: 0, jwks: 0 });
    const authorization = `Bearer ${await outsider.sign({ aud: API })}`;
    for (const url of ["/api/private", "/trpc/private"]) {
      for (let i = 0; i < 10; i += 1) {
        expect((await app.inject({ url, headers: { authorization } })).statusCode).toBe(401);
      }
    }
    for (const issuer of [auth0a, auth0b, outsider])
      expect(issuer.requests).toEqual({ discovery: 0, jwks: 0 });
    await app.close();
  });
});

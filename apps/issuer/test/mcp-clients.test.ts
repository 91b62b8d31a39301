import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AUDIENCE,
  authorizeUrl,
  openLoginPage,
  pkce,
  postToken,
  signIn,
  startEmbeddedIssuer,
  verifyAccessToken,
} from "./helpers";

// The API's MCP endpoint, a second name of the same API (as `npm start` configures it).
const MCP_URL = "http://localhost:3010/mcp";
// Where an MCP client (Claude Code, MCP Inspector...) listens for its authorization code.
const CALLBACK = "http://localhost:33418/callback";

let issuer: Awaited<ReturnType<typeof startEmbeddedIssuer>>;
beforeAll(async () => {
  issuer = await startEmbeddedIssuer({ audience: [AUDIENCE, MCP_URL] });
});
afterAll(async () => {
  await issuer?.close();
});

/** POSTs client metadata to the registration endpoint, as the MCP SDK's registerClient does. */
async function register(metadata: Record<string, unknown>) {
  const response = await fetch(`${issuer.url}oidc/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(metadata),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** What the MCP SDK's client sends: its metadata plus the API's `scopes_supported` as `scope`. */
const sdkClient = (redirectUri = CALLBACK) => ({
  client_name: "Test MCP client",
  redirect_uris: [redirectUri],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  token_endpoint_auth_method: "none",
  scope: "read:messages",
});

async function registeredClientId(redirectUri = CALLBACK): Promise<string> {
  const { status, body } = await register(sdkClient(redirectUri));
  expect(status).toBe(201);
  return body.client_id as string;
}

/** Signs in through the real login form as a registered client asking for the MCP resource. */
async function signInForMcp(clientId: string, username: string, password: string, redirectUri = CALLBACK) {
  return signIn(issuer, {
    username,
    password,
    extra: { client_id: clientId, redirect_uri: redirectUri, scope: "read:messages", resource: MCP_URL },
  });
}

describe("discovery for MCP clients", () => {
  it.each([".well-known/oauth-authorization-server", ".well-known/openid-configuration"])(
    "advertises registration, PKCE and public clients at /%s",
    async (path) => {
      const response = await fetch(`${issuer.url}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        issuer: issuer.url,
        registration_endpoint: `${issuer.url}oidc/register`,
        authorization_endpoint: `${issuer.url}authorize`,
        token_endpoint: `${issuer.url}oauth/token`,
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: expect.arrayContaining(["none"]),
        grant_types_supported: expect.arrayContaining(["authorization_code", "refresh_token"]),
      });
    },
  );
});

describe("dynamic client registration (RFC 7591)", () => {
  it.each([
    "http://localhost:33418/callback",
    "http://127.0.0.1:6274/oauth/callback",
    "http://[::1]:8080/",
    "http://127.0.0.1/",
  ])("registers a public native client for the loopback redirect %s", async (redirectUri) => {
    const { status, body } = await register(sdkClient(redirectUri));
    expect(status).toBe(201);
    expect(body).toMatchObject({
      client_id: expect.any(String),
      client_name: "Test MCP client",
      redirect_uris: [redirectUri],
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    });
    expect(body).not.toHaveProperty("client_secret");
    expect(body).not.toHaveProperty("registration_access_token");
  });

  it.each([
    "https://evil.example/callback",
    "http://example.com:33418/callback",
    "https://localhost:33418/callback",
    "com.example.app:/callback",
  ])("refuses the non-loopback redirect %s with invalid_redirect_uri", async (redirectUri) => {
    const { status, body } = await register(sdkClient(redirectUri));
    expect(status).toBe(400);
    expect(body).toMatchObject({
      error: "invalid_redirect_uri",
      error_description: expect.stringContaining("only loopback redirect_uris"),
    });
  });

  it("refuses a registration without redirect URIs", async () => {
    const { status, body } = await register({ ...sdkClient(), redirect_uris: undefined });
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_redirect_uri");
  });

  it("keeps only the loopback redirect URIs of a mixed list (VS Code sends vscode.dev ones too)", async () => {
    const { status, body } = await register({
      ...sdkClient(),
      redirect_uris: ["https://vscode.dev/redirect", "http://127.0.0.1/", "http://127.0.0.1:33418/"],
    });
    expect(status).toBe(201);
    expect(body.redirect_uris).toEqual(["http://127.0.0.1/", "http://127.0.0.1:33418/"]);
  });

  it("makes every registered client public, whatever it asks for", async () => {
    const { status, body } = await register({
      ...sdkClient(),
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code", "client_credentials", "implicit"],
      application_type: "web",
      jwks_uri: "https://evil.example/jwks.json",
      client_id: "quickstart-spa",
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      application_type: "native",
    });
    expect(body).not.toHaveProperty("client_secret");
    expect(body).not.toHaveProperty("jwks_uri");
    expect(body.client_id).not.toBe("quickstart-spa");
  });

  it("answers CORS for a page on a loopback origin (MCP Inspector registers from the browser), and no other", async () => {
    const preflight = (origin: string) =>
      fetch(`${issuer.url}oidc/register`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
    const allowed = await preflight("http://localhost:6274");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:6274");
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/content-type/i);
    expect((await preflight("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();

    const post = (origin: string, redirectUri: string) =>
      fetch(`${issuer.url}oidc/register`, {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: JSON.stringify(sdkClient(redirectUri)),
      });
    const created = await post("http://127.0.0.1:6274", "http://127.0.0.1:6274/oauth/callback");
    expect(created.status).toBe(201);
    expect(created.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:6274");
    const refused = await post("http://127.0.0.1:6274", "https://evil.example/callback");
    expect(refused.status).toBe(400);
    expect(refused.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:6274");
    expect(
      (await post("https://evil.example", CALLBACK)).headers.get("access-control-allow-origin"),
    ).toBeNull();
  });

  it("accepts every scope the API and the issuer advertise, and refuses an unknown one", async () => {
    const known = await register({ ...sdkClient(), scope: "openid profile offline_access read:messages" });
    expect(known.status).toBe(201);
    const unknown = await register({ ...sdkClient(), scope: "read:messages write:everything" });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      error: "invalid_client_metadata",
      error_description: expect.stringContaining('"write:everything"'),
    });
  });
});

describe("authorization code + PKCE for a registered client, with resource=<the MCP URL>", () => {
  it("gives alice a JWT for the MCP resource with read:messages, signed with the issuer's key", async () => {
    const clientId = await registeredClientId();
    const { response, body, callback } = await signInForMcp(clientId, "alice", "wonderland");
    expect(response.status).toBe(200);
    expect(callback.origin + callback.pathname).toBe(CALLBACK);
    expect(body).toMatchObject({ token_type: "Bearer", scope: "read:messages" });

    const jwks = createRemoteJWKSet(new URL(`${issuer.url}.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.access_token as string, jwks, {
      issuer: issuer.url,
      audience: MCP_URL,
      algorithms: ["RS256"],
      typ: "at+jwt",
    });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload).toMatchObject({ sub: "alice", aud: MCP_URL, client_id: clientId });
    expect(String(payload.scope).split(" ")).toContain("read:messages");
  });

  it("gives bob a token for the MCP resource without read:messages", async () => {
    const { body } = await signInForMcp(await registeredClientId(), "bob", "builder");
    const jwks = createRemoteJWKSet(new URL(`${issuer.url}.well-known/jwks.json`));
    const { payload } = await jwtVerify(body.access_token as string, jwks, { audience: MCP_URL });
    expect(payload.sub).toBe("bob");
    expect(String(payload.scope ?? "").split(" ")).not.toContain("read:messages");
  });

  it("accepts the registered loopback redirect on another port (RFC 8252 §7.3)", async () => {
    const clientId = await registeredClientId("http://127.0.0.1:33418/callback");
    const { response, callback } = await signInForMcp(
      clientId,
      "alice",
      "wonderland",
      "http://127.0.0.1:51234/callback",
    );
    expect(response.status).toBe(200);
    expect(callback.href).toMatch(/^http:\/\/127\.0\.0\.1:51234\/callback\?/);
  });

  it("refreshes with resource=<the MCP URL> and refuses an unknown resource with invalid_target", async () => {
    const clientId = await registeredClientId();
    const { body } = await signInForMcp(clientId, "alice", "wonderland");
    expect(body.refresh_token).toEqual(expect.any(String));
    const refresh = (resource: string, token: string) =>
      postToken(issuer, { grant_type: "refresh_token", client_id: clientId, refresh_token: token, resource });

    const renewed = await refresh(MCP_URL, body.refresh_token as string);
    expect(renewed.status).toBe(200);
    const tokens = (await renewed.json()) as Record<string, string>;
    expect(
      JSON.parse(Buffer.from((tokens.access_token ?? "").split(".")[1] ?? "", "base64url").toString()),
    ).toMatchObject({
      aud: MCP_URL,
      scope: "read:messages",
    });

    const unknown = await refresh("https://other/api", tokens.refresh_token as string);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: "invalid_target" });
  });

  it("refuses an unknown resource at the authorization endpoint with invalid_target", async () => {
    const clientId = await registeredClientId();
    const response = await fetch(
      authorizeUrl(issuer, {
        client_id: clientId,
        redirect_uri: CALLBACK,
        scope: "read:messages",
        resource: "https://other/api",
        code_challenge: pkce().challenge,
      }),
      { redirect: "manual" },
    );
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.origin + location.pathname).toBe(CALLBACK);
    expect(location.searchParams.get("error")).toBe("invalid_target");
  });

  it("requires PKCE from a registered client", async () => {
    const clientId = await registeredClientId();
    const response = await fetch(
      authorizeUrl(issuer, { client_id: clientId, redirect_uri: CALLBACK, code_challenge_method: undefined }),
      { redirect: "manual" },
    );
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("error_description")).toMatch(/PKCE/);
  });

  it("lets the login form's CSP send the browser on to the loopback callback", async () => {
    const clientId = await registeredClientId("http://127.0.0.1:6274/oauth/callback");
    const { page } = await openLoginPage(issuer, {
      client_id: clientId,
      redirect_uri: "http://127.0.0.1:6274/oauth/callback",
      resource: MCP_URL,
    });
    expect(await page.text()).toContain("<strong>Test MCP client</strong>");
    const formAction = /form-action ([^;]+)/.exec(page.headers.get("content-security-policy") ?? "")?.[1];
    expect(formAction?.split(" ")).toContain("http://127.0.0.1:6274");
  });

  it("lets a registered client call the token endpoint from its loopback page's origin (CORS)", async () => {
    const clientId = await registeredClientId("http://localhost:6274/oauth/callback");
    const call = (origin: string) =>
      postToken(
        issuer,
        { grant_type: "refresh_token", client_id: clientId, refresh_token: "unknown" },
        { origin },
      );
    expect((await call("http://localhost:6274")).headers.get("access-control-allow-origin")).toBe(
      "http://localhost:6274",
    );
    expect((await call("http://localhost:3000")).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("the API's default identifier when the issuer knows several", () => {
  it("still gives the SPA and the machine client https://quickstarts/api tokens when no resource is named", async () => {
    const { body } = await signIn(issuer, { username: "alice", password: "wonderland" });
    expect((await verifyAccessToken(issuer, body.access_token as string)).payload.aud).toBe(AUDIENCE);

    const machine = await postToken(issuer, {
      grant_type: "client_credentials",
      client_id: issuer.machineClient.clientId,
      client_secret: issuer.machineClient.clientSecret,
    });
    const token = ((await machine.json()) as Record<string, string>).access_token as string;
    expect((await verifyAccessToken(issuer, token)).payload).toMatchObject({
      aud: AUDIENCE,
      scope: "read:messages",
    });
  });

  it("gives the machine client a token for the MCP URL when it asks for that audience", async () => {
    const response = await postToken(issuer, {
      grant_type: "client_credentials",
      client_id: issuer.machineClient.clientId,
      client_secret: issuer.machineClient.clientSecret,
      audience: MCP_URL,
    });
    const token = ((await response.json()) as Record<string, string>).access_token as string;
    expect(JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).aud).toBe(MCP_URL);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AUDIENCE,
  authorizeUrl,
  browser,
  openLoginPage,
  pkce,
  postToken,
  REDIRECT_URI,
  signIn,
  startEmbeddedIssuer,
  verifyAccessToken,
  WEB_ORIGIN,
} from "./helpers";

let issuer: Awaited<ReturnType<typeof startEmbeddedIssuer>>;
beforeAll(async () => {
  issuer = await startEmbeddedIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

describe("authorization code + PKCE for the SPA", () => {
  it("signs alice in and issues an API token with read:messages, plus an ID token and a refresh token", async () => {
    const { response, body, callback } = await signIn(issuer, {
      username: "alice",
      password: "wonderland",
      extra: { audience: AUDIENCE },
    });
    expect(response.status).toBe(200);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get("state")).toBe("state-1");
    expect(body).toMatchObject({
      token_type: "Bearer",
      scope: "read:messages",
      refresh_token: expect.any(String),
    });

    const { payload } = await verifyAccessToken(issuer, body.access_token as string);
    expect(payload).toMatchObject({
      sub: "alice",
      aud: AUDIENCE,
      client_id: "quickstart-spa",
      scope: "read:messages",
    });

    // The ID token carries the profile, since the access token is for the API, not userinfo.
    const idToken = JSON.parse(
      Buffer.from((body.id_token as string).split(".")[1] ?? "", "base64url").toString(),
    );
    expect(idToken).toMatchObject({ sub: "alice", name: "Alice Liddell", aud: "quickstart-spa" });
  });

  it("issues bob a token without read:messages", async () => {
    const { body } = await signIn(issuer, {
      username: "bob",
      password: "builder",
      extra: { audience: AUDIENCE },
    });
    const { payload } = await verifyAccessToken(issuer, body.access_token as string);
    expect(payload.sub).toBe("bob");
    expect(payload.scope ?? "").not.toContain("read:messages");
  });

  it("issues the API token whether the request says audience, resource, or neither", async () => {
    for (const extra of [{ resource: AUDIENCE }, {}] as Record<string, string>[]) {
      const { body } = await signIn(issuer, { username: "alice", password: "wonderland", extra });
      expect((await verifyAccessToken(issuer, body.access_token as string)).payload.scope).toBe(
        "read:messages",
      );
    }
  });

  it("rotates refresh tokens", async () => {
    const { body } = await signIn(issuer, { username: "alice", password: "wonderland" });
    const refresh = (token: string) =>
      postToken(issuer, { grant_type: "refresh_token", client_id: "quickstart-spa", refresh_token: token });
    const first = await refresh(body.refresh_token as string);
    expect(first.status).toBe(200);
    const renewed = (await first.json()) as Record<string, string>;
    expect(renewed.refresh_token).not.toBe(body.refresh_token);
    expect((await verifyAccessToken(issuer, renewed.access_token as string)).payload.aud).toBe(AUDIENCE);
    // The old one is spent.
    expect((await refresh(body.refresh_token as string)).status).toBe(400);
  });

  it("lets the web origin, and no other, call the token endpoint (CORS)", async () => {
    // A preflight is answered for any origin; the client's origin is checked on the request itself.
    const call = (origin: string) =>
      postToken(
        issuer,
        { grant_type: "refresh_token", client_id: "quickstart-spa", refresh_token: "unknown" },
        { origin },
      );
    const allowed = await call(WEB_ORIGIN);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(WEB_ORIGIN);
    expect(await allowed.json()).toMatchObject({ error: "invalid_grant" });
    const foreign = await call("http://evil.example");
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    expect(await foreign.json()).toMatchObject({ error: "invalid_request" });
  });

  it("requires PKCE from the public client", async () => {
    const response = await fetch(authorizeUrl(issuer, { code_challenge_method: undefined }), {
      redirect: "manual",
    });
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("error_description")).toMatch(/PKCE/);
  });

  it("refuses an unregistered redirect_uri without redirecting to it", async () => {
    const response = await fetch(
      authorizeUrl(issuer, { code_challenge: pkce().challenge, redirect_uri: "http://evil.example/" }),
      { redirect: "manual" },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("redirect_uri did not match");
  });

  it("refuses an unknown audience with invalid_target", async () => {
    const response = await fetch(
      authorizeUrl(issuer, { code_challenge: pkce().challenge, audience: "https://other/api" }),
      {
        redirect: "manual",
      },
    );
    expect(new URL(response.headers.get("location") ?? "").searchParams.get("error")).toBe("invalid_target");
  });

  it("refuses a code exchange without the code_verifier", async () => {
    const { client, loginPath } = await openLoginPage(issuer);
    const callback = await client.follow(
      await client.postForm(loginPath, { username: "alice", password: "wonderland" }),
    );
    const code = new URL(callback.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const response = await postToken(issuer, {
      grant_type: "authorization_code",
      client_id: "quickstart-spa",
      code,
      redirect_uri: REDIRECT_URI,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_grant" });
  });
});

describe("the login page", () => {
  it("is an accessible form with the demo users, security headers and HttpOnly SameSite=Lax cookies", async () => {
    const client = browser(issuer);
    const first = await client.get(authorizeUrl(issuer, { code_challenge: pkce().challenge }));
    for (const cookie of first.headers.getSetCookie()) {
      expect(cookie).toMatch(/httponly/i);
      expect(cookie).toMatch(/samesite=lax/i);
    }
    const page = await client.follow(first);
    const html = await page.text();
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(html).toContain('<label for="username">Username</label>');
    expect(html).toContain('<label for="password">Password</label>');
    expect(html).toContain('<button type="submit">Sign in</button>');
    expect(html).toContain("<code>alice</code> / <code>wonderland</code>");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`form-action 'self' ${WEB_ORIGIN}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("says so on a wrong password, and escapes what it echoes", async () => {
    const { client, loginPath } = await openLoginPage(issuer);
    const response = await client.postForm(loginPath, { username: '<script>"x"</script>', password: "nope" });
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toContain("Wrong username or password.");
    expect(html).toContain("&lt;script&gt;&quot;x&quot;&lt;/script&gt;");
    expect(html).not.toContain("<script>");
  });

  it("limits failed attempts per username: the 6th within a minute gets 429", async () => {
    const { client, loginPath } = await openLoginPage(issuer);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(
        (await client.postForm(loginPath, { username: "bob", password: `guess-${attempt}` })).status,
      ).toBe(401);
    }
    // Even the right password is refused while the username is limited.
    const limited = await client.postForm(loginPath, { username: "bob", password: "builder" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited.text()).toContain("Too many failed sign-in attempts");
  });

  it("shows an expiry message for an unknown interaction", async () => {
    const response = await fetch(`${issuer.url}interaction/unknown`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Sign-in expired");
  });
});

describe("sign-out", () => {
  it("shows a confirmation page with a working form, then returns to the app", async () => {
    const { client, loginPath } = await openLoginPage(issuer);
    await client.follow(await client.postForm(loginPath, { username: "alice", password: "wonderland" }));

    const logout = await client.get(
      `oidc/logout?client_id=quickstart-spa&post_logout_redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
    );
    expect(logout.status).toBe(200);
    expect(logout.headers.get("content-security-policy")).toContain(`form-action 'self' ${WEB_ORIGIN}`);
    const html = await logout.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? "";
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    expect(html).toContain('name="logout" value="yes"');

    const done = await client.follow(await client.postForm(action, { xsrf, logout: "yes" }));
    expect(done.headers.get("location")).toBe(REDIRECT_URI);
  });
});

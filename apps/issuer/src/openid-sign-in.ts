import type { Middleware } from "koa";

/**
 * Koa middleware for the authorization endpoint: adds `openid` to a request's `scope` when it is
 * missing, so every sign-in here grants at least that. oidc-provider refuses a sign-in that would
 * grant no scope at all (`access_denied`), yet a user who holds none of the API scopes asked for
 * (bob, when an MCP client asks only for `read:messages`) must still get a token, without them,
 * exactly as the web app's sign-in gives him. The client also gets an ID token, which it may ignore.
 */
export function alwaysOpenid(authorizationPath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === "GET" && ctx.path === authorizationPath) {
      const params = new URLSearchParams(ctx.querystring);
      const scopes = (params.get("scope") ?? "").split(" ").filter(Boolean);
      if (!scopes.includes("openid")) {
        params.set("scope", ["openid", ...scopes].join(" "));
        ctx.querystring = params.toString();
      }
    }
    await next();
  };
}

import { IncomingMessage } from "node:http";
import type { Context, Middleware } from "koa";
import { readRequestBody } from "./read-body";

// The provider's own body limit, so a request it would refuse is refused here too.
const BODY_LIMIT = 56 * 1024;

/**
 * Rewrites Auth0-style parameters into RFC 8707 ones: `audience` becomes `resource` (a `resource`
 * sent alongside wins). oidc-provider only knows `resource`.
 */
export function audienceToResource(params: URLSearchParams): URLSearchParams {
  const result = new URLSearchParams(params);
  const audience = result.get("audience");
  result.delete("audience");
  if (audience && !result.has("resource")) result.set("resource", audience);
  return result;
}

/**
 * Turns a token request body into the form parameters oidc-provider reads: JSON (as Auth0's token
 * endpoint accepts) becomes form fields, `audience` becomes `resource`, and a `client_credentials`
 * request without `scope` asks for `defaultScope` (Auth0 grants every scope the client was granted
 * when none is named). Throws `TypeError` on a body that is not a JSON object.
 */
export function normalizeTokenRequest(
  contentType: string,
  body: string,
  { defaultScope }: { defaultScope?: string } = {},
): URLSearchParams {
  const params = contentType === "application/json" ? jsonToForm(body) : new URLSearchParams(body);
  const result = audienceToResource(params);
  if (defaultScope && result.get("grant_type") === "client_credentials" && !result.get("scope")) {
    result.set("scope", defaultScope);
  }
  return result;
}

function jsonToForm(body: string): URLSearchParams {
  const value: unknown = JSON.parse(body);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("the JSON body must be an object");
  }
  const params = new URLSearchParams();
  for (const [key, member] of Object.entries(value)) {
    for (const item of Array.isArray(member) ? member : [member]) {
      if (item === null || item === undefined) continue;
      if (typeof item === "object") throw new TypeError(`"${key}" must be a string`);
      params.append(key, String(item));
    }
  }
  return params;
}

/**
 * Koa middleware for the authorization endpoint: maps the SPA's Auth0-style `audience` query
 * parameter to `resource`, so an unknown audience is refused with `invalid_target`.
 */
export function authorizationAudience(authorizationPath: string): Middleware {
  return async (ctx, next) => {
    if (ctx.method === "GET" && ctx.path === authorizationPath && ctx.querystring.includes("audience")) {
      ctx.querystring = audienceToResource(new URLSearchParams(ctx.querystring)).toString();
    }
    await next();
  };
}

/**
 * Koa middleware for the token endpoint, placed before oidc-provider: accepts Auth0-style requests
 * (JSON bodies, `audience`) by reading the body, normalising it with {@link normalizeTokenRequest},
 * and handing the provider a fresh form-encoded request to parse as usual.
 */
export function tokenRequestAudience(tokenPath: string, options: { defaultScope?: string } = {}): Middleware {
  return async (ctx, next) => {
    const type = ctx.is("application/json", "application/x-www-form-urlencoded");
    if (ctx.method !== "POST" || ctx.path !== tokenPath || !type) return next();
    let params: URLSearchParams;
    try {
      params = normalizeTokenRequest(type, await readRequestBody(ctx.req, BODY_LIMIT), options);
    } catch (error) {
      ctx.status = 400;
      ctx.set("Cache-Control", "no-store");
      ctx.body = {
        error: "invalid_request",
        error_description: `failed to parse the request body: ${(error as Error).message}`,
      };
      return undefined;
    }
    replaceRequestBody(ctx, Buffer.from(params.toString()));
    return next();
  };
}

// The original stream has been read, so give downstream a request that replays the new body with
// the same socket, method, URL and headers (only the body's type and length change).
function replaceRequestBody(ctx: Context, body: Buffer) {
  const original = ctx.req;
  const replay = new IncomingMessage(original.socket);
  replay.method = original.method;
  replay.url = original.url;
  replay.httpVersion = original.httpVersion;
  replay.httpVersionMajor = original.httpVersionMajor;
  replay.httpVersionMinor = original.httpVersionMinor;
  replay.headers = {
    ...original.headers,
    "content-type": "application/x-www-form-urlencoded",
    "content-length": String(body.length),
  };
  delete replay.headers["transfer-encoding"];
  // Marks the message as fully received, so ending it does not abort (and close) the shared socket.
  replay.complete = true;
  replay.push(body);
  replay.push(null);
  ctx.req = replay;
  ctx.request.req = replay;
  ctx.response.req = replay;
}

import type { Context, Middleware } from "koa";
import type Provider from "oidc-provider";
import { errors, type InteractionResults } from "oidc-provider";
import { authenticateDemoUser, DEMO_USER_HINTS, findDemoUser } from "./demo-users";
import type { LoginLimiter } from "./login-limiter";
import { pageSecurityHeaders, renderLoginPage, renderMessagePage } from "./login-page";
import { readRequestBody } from "./read-body";

type Interaction = Awaited<ReturnType<Provider["interactionDetails"]>>;

const INTERACTION_PATH = /^\/interaction\/([\w-]+)(\/login)?$/;

/** What {@link interactionRoutes} needs. */
export interface InteractionOptions {
  provider: Provider;
  /** Origins the login form may redirect to after sign-in (the web app). */
  webOrigins: readonly string[];
  limiter: LoginLimiter;
  logger: Pick<Console, "error">;
}

/**
 * Koa middleware serving oidc-provider's interactions: `GET /interaction/:uid` shows the login page
 * (or, once signed in, grants consent on the user's behalf: the SPA is first-party), and
 * `POST /interaction/:uid/login` checks the credentials. Other paths go to the provider.
 */
export function interactionRoutes({ provider, webOrigins, limiter, logger }: InteractionOptions): Middleware {
  const headers = pageSecurityHeaders(webOrigins);
  return async (ctx, next) => {
    const match = INTERACTION_PATH.exec(ctx.path);
    if (!match) return next();
    ctx.set(headers);
    try {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      // The cookie names the interaction in progress; an older tab's URL is out of date.
      if (details.uid !== match[1]) return expired(ctx);
      ctx.set(pageSecurityHeaders([...new Set([...webOrigins, ...redirectOrigin(details)])]));
      const isLoginPost = match[2] !== undefined;
      if (ctx.method === "GET" && !isLoginPost && details.prompt.name === "login") {
        const clientName = await clientNameOf(provider, details);
        return showLogin(ctx, { action: `${ctx.path}/login`, clientName });
      }
      if (ctx.method === "GET" && !isLoginPost && details.prompt.name === "consent") {
        return await grantConsent(ctx, provider, details);
      }
      if (ctx.method === "POST" && isLoginPost && details.prompt.name === "login") {
        return await checkLogin(ctx, provider, limiter, await clientNameOf(provider, details));
      }
      ctx.status = ctx.method === "GET" || ctx.method === "POST" ? 400 : 405;
      return page(ctx, "Unexpected request", "Go back to the application and sign in again.");
    } catch (error) {
      if (error instanceof errors.SessionNotFound) return expired(ctx);
      logger.error(`issuer: interaction failed: ${(error as Error).message}`);
      ctx.status = 500;
      return page(ctx, "Something went wrong", "Go back to the application and try again.");
    }
  };
}

async function checkLogin(ctx: Context, provider: Provider, limiter: LoginLimiter, clientName: string) {
  const action = ctx.path;
  if (!ctx.is("application/x-www-form-urlencoded")) {
    ctx.status = 415;
    return page(ctx, "Unsupported request", "Submit the sign-in form.");
  }
  const form = new URLSearchParams(await readRequestBody(ctx.req, 8 * 1024));
  const username = (form.get("username") ?? "").trim();
  const password = form.get("password") ?? "";

  // Checked before the password, so a limited username cannot be probed at all.
  const decision = limiter.check(username, ctx.ip);
  if (!decision.allowed) {
    ctx.status = 429;
    ctx.set("Retry-After", String(decision.retryAfterSeconds));
    const error = `Too many failed sign-in attempts. Wait ${decision.retryAfterSeconds} seconds and try again.`;
    return showLogin(ctx, { action, clientName, username, error });
  }

  const user = authenticateDemoUser(username, password);
  if (!user) {
    limiter.recordFailure(username, ctx.ip);
    ctx.status = 401;
    return showLogin(ctx, { action, clientName, username, error: "Wrong username or password." });
  }
  limiter.recordSuccess(username);
  return finish(ctx, provider, { login: { accountId: user.username } }, false);
}

/**
 * Auto-consent for the first-party SPA: grants the OpenID scopes and claims it asked for, and API
 * scopes only when the user holds that permission. Refused ones are recorded as rejected, so
 * oidc-provider does not ask again and simply leaves them out of the token.
 */
async function grantConsent(ctx: Context, provider: Provider, details: Interaction) {
  const accountId = details.session?.accountId;
  const user = accountId ? findDemoUser(accountId) : undefined;
  if (!accountId || !user) return expired(ctx);

  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  if (!grant) return expired(ctx);

  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    const allowed = scopes.filter((scope) => user.permissions.includes(scope));
    const refused = scopes.filter((scope) => !user.permissions.includes(scope));
    if (allowed.length) grant.addResourceScope(resource, allowed.join(" "));
    if (refused.length) grant.rejectResourceScope(resource, refused.join(" "));
  }
  const grantId = await grant.save();
  return finish(ctx, provider, { consent: { grantId } }, true);
}

async function finish(ctx: Context, provider: Provider, result: InteractionResults, merge: boolean) {
  const location = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: merge,
  });
  // 303: the browser follows with a GET, also after the login form's POST.
  ctx.status = 303;
  ctx.redirect(location);
}

/**
 * The origin this sign-in returns to: the redirect URI oidc-provider already checked against the
 * client's registered ones (a registered app's loopback callback, say). The login form's CSP must
 * allow it, since browsers apply `form-action` to the redirects that follow the form's POST.
 */
function redirectOrigin(details: Interaction): string[] {
  const origin = URL.parse(String(details.params.redirect_uri ?? ""))?.origin;
  return origin && origin !== "null" ? [origin] : [];
}

async function clientNameOf(provider: Provider, details: Interaction): Promise<string> {
  const clientId = String(details.params.client_id);
  const client = await provider.Client.find(clientId);
  return client?.clientName ?? clientId;
}

function showLogin(
  ctx: Context,
  options: { action: string; clientName: string; username?: string; error?: string },
) {
  ctx.type = "html";
  ctx.body = renderLoginPage({ ...options, demoUsers: DEMO_USER_HINTS });
}

function expired(ctx: Context) {
  ctx.status = 400;
  page(
    ctx,
    "Sign-in expired",
    "This sign-in request has expired or was already used. Go back to the application and sign in again.",
  );
}

function page(ctx: Context, title: string, message: string) {
  ctx.type = "html";
  ctx.body = renderMessagePage(title, message);
}

import { createHash } from "node:crypto";

// One stylesheet for every page; its hash goes into the CSP so no inline style needs 'unsafe-inline'.
const STYLES = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
main { width: min(22rem, calc(100vw - 2rem)); padding: 2rem; border: 1px solid #8884; border-radius: 0.75rem; }
h1 { font-size: 1.4rem; margin: 0 0 0.5rem; }
p { line-height: 1.45; }
label { display: block; font-weight: 600; margin: 1rem 0 0.25rem; }
input { box-sizing: border-box; width: 100%; padding: 0.55rem; font: inherit; border: 1px solid #888; border-radius: 0.4rem; }
button { margin-top: 1.25rem; width: 100%; padding: 0.6rem; font: inherit; font-weight: 600; border: 0; border-radius: 0.4rem; background: #2454d6; color: #fff; cursor: pointer; }
button.secondary { background: transparent; color: inherit; border: 1px solid #888; margin-top: 0.5rem; }
button:focus-visible, input:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.error { padding: 0.6rem 0.8rem; border-radius: 0.4rem; background: #fde8e8; color: #8a1414; }
.hint { font-size: 0.9rem; opacity: 0.85; border-top: 1px solid #8884; margin-top: 1.5rem; padding-top: 0.5rem; }
code { font-size: 0.95em; }
`;
const STYLE_HASH = `'sha256-${createHash("sha256").update(STYLES).digest("base64")}'`;

/** Escapes text for HTML element content and double-quoted attribute values. */
function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * Security headers for the issuer's own pages. `formTargets` are the origins a form on the page may
 * end up at: browsers apply `form-action` to the redirects that follow a submission too, and after
 * sign-in or sign-out the issuer redirects to the web app.
 */
export function pageSecurityHeaders(formTargets: readonly string[]): Record<string, string> {
  return {
    "Content-Security-Policy": [
      "default-src 'none'",
      `style-src ${STYLE_HASH}`,
      `form-action 'self' ${formTargets.join(" ")}`.trim(),
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join("; "),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
  };
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLES}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** What the login page shows. */
export interface LoginPageOptions {
  /** Where the form posts (the interaction's login route). */
  action: string;
  /** The application asking the user to sign in. */
  clientName: string;
  /** Pre-filled after a failed attempt. */
  username?: string;
  /** Shown above the form, in an alert. */
  error?: string;
  /** Shown under the form: this issuer is for development, its users are public. */
  demoUsers: readonly { username: string; password: string; note: string }[];
}

/** The sign-in form. Every value is escaped. */
export function renderLoginPage({
  action,
  clientName,
  username,
  error,
  demoUsers,
}: LoginPageOptions): string {
  const alert = error ? `<p class="error" role="alert" id="login-error">${escapeHtml(error)}</p>` : "";
  const described = error ? ' aria-describedby="login-error"' : "";
  const users = demoUsers
    .map(
      (user) =>
        `<li><code>${escapeHtml(user.username)}</code> / <code>${escapeHtml(user.password)}</code>: ${escapeHtml(user.note)}</li>`,
    )
    .join("\n");
  return layout(
    "Sign in",
    `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(clientName)}</strong></p>
${alert}
<form method="post" action="${escapeHtml(action)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(username)}"${described}${username ? "" : " autofocus"}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}${username ? " autofocus" : ""}>
<button type="submit">Sign in</button>
</form>
<section class="hint" aria-label="Demo users">
<p>Development issuer. Demo users:</p>
<ul>
${users}
</ul>
</section>`,
  );
}

/**
 * The sign-out confirmation page around oidc-provider's hidden `form` (it carries the CSRF token).
 * Both buttons return to the application, so the page is never a dead end.
 */
export function renderLogoutPage(form: string, host: string): string {
  return layout(
    "Sign out",
    `<h1>Sign out?</h1>
<p>You are signing out of <strong>${escapeHtml(host)}</strong>.</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`,
  );
}

/** A page with a heading and a sentence: sign-out done, or an error. */
export function renderMessagePage(
  title: string,
  message: string,
  details: Record<string, unknown> = {},
): string {
  const rows = Object.entries(details)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd><code>${escapeHtml(value)}</code></dd>`)
    .join("\n");
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>${rows ? `\n<dl>${rows}</dl>` : ""}`,
  );
}

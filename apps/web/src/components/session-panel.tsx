import { useAuth } from "../auth/auth-provider";
import { formatRelativeTime, summarizeAccessToken } from "../auth/token-claims";
import { useConfig } from "../config";
import { useNow } from "./use-now";

/** Who is logged in and what their access token says (decoded for display, never trusted). */
export function SessionPanel() {
  const { state, login, tokenBinding } = useAuth();
  const config = useConfig();

  if (state.status === "signed-out") {
    return (
      <section className="panel session" aria-labelledby="session-title">
        <h2 id="session-title">Not logged in</h2>
        <p>
          Public calls work without a token. Log in at the issuer to get an access token for{" "}
          <code>{config.audience}</code> and call the private endpoints.
        </p>
        <button type="button" className="button" onClick={() => void login()}>
          Log in
        </button>
        <DpopSetting />
      </section>
    );
  }

  const { user, expired } = state;
  const token = summarizeAccessToken(user.access_token);
  const name = user.profile.name ?? user.profile.preferred_username ?? user.profile.sub;
  const scopes = token?.scopes ?? user.scopes;
  const expiresAt =
    token?.expiresAt ?? (user.expires_at === undefined ? undefined : new Date(user.expires_at * 1000));

  return (
    <section className="panel session" aria-labelledby="session-title">
      <h2 id="session-title">
        Logged in as <span data-testid="user-name">{name}</span>
      </h2>
      {expired && (
        <div className="notice notice--warning" role="alert">
          <p>
            Your access token expired. {state.notice} Please log in again: until then, private calls answer
            401 token_expired.
          </p>
          <button type="button" className="button button--small" onClick={() => void login()}>
            Log in again
          </button>
        </div>
      )}
      <dl className="claims">
        <dt>Subject</dt>
        <dd>
          <code>{user.profile.sub}</code>
        </dd>
        <dt>Issuer</dt>
        <dd>
          <code>{token?.issuer ?? user.profile.iss}</code>
        </dd>
        <dt>Audience</dt>
        <dd>{token ? token.audiences.map((aud) => <code key={aud}>{aud}</code>) : "(opaque token)"}</dd>
        <dt>Expires</dt>
        <dd>{expiresAt ? <RelativeTime date={expiresAt} /> : "unknown"}</dd>
        <dt>Token type</dt>
        <dd data-testid="token-type">
          {tokenBinding?.type === "DPoP"
            ? "DPoP: bound to a key in this browser, useless anywhere else"
            : "Bearer: whoever holds it can use it"}
        </dd>
        {tokenBinding?.thumbprint && (
          <>
            <dt>DPoP key</dt>
            <dd>
              <code data-testid="dpop-thumbprint" title="RFC 7638 thumbprint: the token's cnf.jkt">
                {tokenBinding.thumbprint}
              </code>
            </dd>
          </>
        )}
        <dt>Refresh token</dt>
        <dd>{user.refresh_token ? "yes: renewed before it expires" : "no: log in again when it expires"}</dd>
      </dl>
      <h3 id="scopes-title">Scopes in the access token</h3>
      {scopes.length > 0 ? (
        <ul className="chips" aria-labelledby="scopes-title" data-testid="token-scopes">
          {scopes.map((scope) => (
            <li key={scope} className={`chip${scope === "read:messages" ? " chip--key" : ""}`}>
              {scope}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted" data-testid="token-scopes">
          None: the issuer granted this user no API scopes.
        </p>
      )}
      <details className="raw-claims">
        <summary>All access token claims</summary>
        <pre>{JSON.stringify(token?.claims ?? {}, null, 2)}</pre>
      </details>
      <DpopSetting />
    </section>
  );
}

/** Turns DPoP off (or on) to compare: the change signs out of this app, as it applies from the next login. */
function DpopSetting() {
  const { dpopEnabled, changeDpop } = useAuth();
  return (
    <label className="setting">
      <input
        type="checkbox"
        checked={dpopEnabled}
        data-testid="dpop-setting"
        onChange={(event) => void changeDpop(event.target.checked)}
      />{" "}
      Bind tokens to this browser with DPoP (changing it signs you out of this app)
    </label>
  );
}

/** "in 59 minutes", ticking every second on its own: the panel (and its token decoding) stays still. */
function RelativeTime({ date }: { date: Date }) {
  const now = useNow();
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()}>
      {formatRelativeTime(date, now)}
    </time>
  );
}

import { useAuth } from "../auth/auth-provider";
import { useConfig } from "../config";

export function AppHeader() {
  const { state, login, logout } = useAuth();
  const config = useConfig();
  return (
    <header className="app-header">
      <div>
        <h1>tRPC OAuth quickstart</h1>
        <p className="muted">
          Issuer <code>{config.issuer}</code> · client <code>{config.clientId}</code>
        </p>
      </div>
      {state.status === "signed-in" ? (
        <button type="button" className="button button--secondary" onClick={() => void logout()}>
          Log out
        </button>
      ) : (
        <div className="app-header__actions">
          <button type="button" className="button" onClick={() => void login()}>
            Log in
          </button>
          {/* The issuer may still have a session (its logout page offers "Stay signed in"): ask it
              for the login form anyway, so someone else can sign in. */}
          <button
            type="button"
            className="button button--secondary"
            onClick={() => void login({ prompt: "login" })}
          >
            Switch user
          </button>
        </div>
      )}
    </header>
  );
}

import { useAuth } from "../auth/auth-provider";
import { config } from "../config";

export function AppHeader() {
  const { state, login, logout } = useAuth();
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
        <button type="button" className="button" onClick={() => void login()}>
          Log in
        </button>
      )}
    </header>
  );
}

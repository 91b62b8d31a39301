import { useAuth } from "./auth/auth-provider";
import { AppHeader } from "./components/app-header";
import { CallsPanel } from "./components/calls-panel";
import { SessionPanel } from "./components/session-panel";

export function App() {
  const { state } = useAuth();
  // An expired session's notice is part of the session panel's "log in again" banner.
  const notice = state.status === "signed-in" && state.expired ? undefined : state.notice;
  return (
    <>
      <AppHeader />
      <main className="layout">
        {notice && (
          <p className="notice notice--error layout__notice" role="alert">
            {notice}
          </p>
        )}
        <SessionPanel />
        <CallsPanel />
      </main>
    </>
  );
}

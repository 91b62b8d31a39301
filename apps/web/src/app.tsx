import { useAuth } from "./auth/auth-provider";
import { AppHeader } from "./components/app-header";
import { CallsPanel } from "./components/calls-panel";
import { SessionPanel } from "./components/session-panel";

export function App() {
  const { state } = useAuth();
  // A signed-in notice (why renewal failed) is part of the session panel's "log in again" banner.
  const notice = state.status === "signed-out" ? state.notice : undefined;
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

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app";
import { AuthProvider } from "./auth/auth-provider";
import { createApiFetch } from "./auth/dpop";
import { createUserManager } from "./auth/user-manager";
import { createTrpcClient, TRPCProvider } from "./calls/trpc";
import { ConfigContext, loadConfig } from "./config";
import type { WebConfig } from "./env";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

function render(config: WebConfig) {
  const userManager = createUserManager(config);
  const apiFetch = createApiFetch(userManager);
  const trpcClient = createTrpcClient(config.apiUrl, apiFetch);
  const queryClient = new QueryClient({
    // Every call is an explicit click (refetch): disabled queries never run on mount, focus or
    // reconnect, and a 401 or 403 shows as it is instead of being retried.
    defaultOptions: { queries: { enabled: false, retry: false } },
  });

  createRoot(root as HTMLElement).render(
    <StrictMode>
      <ConfigContext value={config}>
        <QueryClientProvider client={queryClient}>
          <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
            <Suspense
              fallback={
                <p className="loading" role="status">
                  Loading session…
                </p>
              }
            >
              <AuthProvider userManager={userManager} apiFetch={apiFetch}>
                <App />
              </AuthProvider>
            </Suspense>
          </TRPCProvider>
        </QueryClientProvider>
      </ConfigContext>
    </StrictMode>,
  );
}

/** Without a configuration nothing can work: say why, in the page. */
function showConfigError(error: unknown) {
  const message = document.createElement("p");
  message.className = "notice notice--error";
  message.setAttribute("role", "alert");
  message.textContent = `The app cannot start: ${error instanceof Error ? error.message : String(error)}`;
  (root as HTMLElement).replaceChildren(message);
}

loadConfig().then(render, showConfigError);

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app";
import { AuthProvider } from "./auth/auth-provider";
import { createUserManager, readAccessToken } from "./auth/user-manager";
import { createTrpcClient, TRPCProvider } from "./calls/trpc";
import { config } from "./config";
import "./styles.css";

const userManager = createUserManager(config);
const trpcClient = createTrpcClient(config.apiUrl, () => readAccessToken(userManager));
const queryClient = new QueryClient({
  // Every call is an explicit click (refetch): disabled queries never run on mount, focus or
  // reconnect, and a 401 or 403 shows as it is instead of being retried.
  defaultOptions: { queries: { enabled: false, retry: false } },
});

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <Suspense
          fallback={
            <p className="loading" role="status">
              Loading session…
            </p>
          }
        >
          <AuthProvider userManager={userManager}>
            <App />
          </AuthProvider>
        </Suspense>
      </TRPCProvider>
    </QueryClientProvider>
  </StrictMode>,
);

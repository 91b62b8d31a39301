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
  // Every call is an explicit click; nothing refetches behind the user's back or retries a 401.
  defaultOptions: {
    queries: { retry: false, refetchOnWindowFocus: false, staleTime: Number.POSITIVE_INFINITY },
  },
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

import type { User, UserManager } from "oidc-client-ts";
import { createContext, type ReactNode, use, useCallback, useEffect, useMemo, useState } from "react";
import { isDpopEnabled, readTokenBinding, setDpopEnabled, type TokenBinding } from "./dpop";
import { classifyRedirect, urlWithoutOAuthParams } from "./redirect-callback";

export type AuthState =
  | { status: "signed-out"; notice?: string }
  /**
   * `expired`: the access token ran out and could not be renewed; the user should log in again.
   * `notice` then says why renewal failed.
   */
  | { status: "signed-in"; user: User; expired: boolean; notice?: string };

export interface Auth {
  state: AuthState;
  /** Redirects to the issuer; `prompt: "login"` asks for the login form even with a session there. */
  login: (options?: { prompt?: "login" }) => Promise<void>;
  logout: () => Promise<void>;
  /** `fetch` for the API: adds the token, and a DPoP proof when the token is DPoP-bound. */
  apiFetch: typeof fetch;
  /** How the signed-in user's token is bound (DPoP and its key's thumbprint, or Bearer). */
  tokenBinding: TokenBinding | undefined;
  /** Whether the next login asks for DPoP-bound tokens. */
  dpopEnabled: boolean;
  /** Turns DPoP on or off; signs out of this app, since a token's binding is set at login. */
  changeDpop: (enabled: boolean) => Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function renew(userManager: UserManager, user: User): Promise<AuthState> {
  try {
    return { status: "signed-in", user: (await userManager.signinSilent()) ?? user, expired: false };
  } catch (error) {
    return {
      status: "signed-in",
      user,
      expired: true,
      notice: `The session could not be renewed (${errorText(error)}).`,
    };
  }
}

function expiredState(user: User): AuthState {
  return { status: "signed-in", user, expired: true };
}

/**
 * Finishes whatever brought the browser here (the issuer's sign-in or sign-out redirect), then
 * restores the stored session. Never rejects: failures become a notice.
 */
async function startSession(userManager: UserManager): Promise<AuthState> {
  const kind = classifyRedirect(window.location.search);
  try {
    if (kind === "signin-callback") {
      const user = await userManager.signinRedirectCallback();
      return { status: "signed-in", user, expired: false };
    }
    if (kind === "signout-callback") {
      await userManager.signoutRedirectCallback();
      return { status: "signed-out" };
    }
    // getUser() also arms the expiring/expired timers for a stored user.
    const user = await userManager.getUser();
    if (!user) return { status: "signed-out" };
    if (!user.expired) return { status: "signed-in", user, expired: false };
    return user.refresh_token ? await renew(userManager, user) : expiredState(user);
  } catch (error) {
    const what = kind === "signin-callback" ? "Sign-in failed" : "Could not restore the session";
    return { status: "signed-out", notice: `${what}: ${errorText(error)}` };
  } finally {
    // The code is single-use and the state consumed: drop them from the address bar and history.
    if (kind !== "none")
      window.history.replaceState(window.history.state, "", urlWithoutOAuthParams(window.location.href));
  }
}

// One start per page load, shared by StrictMode's double render: a callback can only be redeemed once.
let sessionStart: Promise<AuthState> | undefined;

/** Provides {@link useAuth}; suspends until the session is known (show a fallback around it). */
export function AuthProvider({
  userManager,
  apiFetch,
  children,
}: {
  userManager: UserManager;
  apiFetch: typeof fetch;
  children: ReactNode;
}) {
  sessionStart ??= startSession(userManager);
  const [state, setState] = useState<AuthState>(use(sessionStart));
  const [tokenBinding, setTokenBinding] = useState<TokenBinding>();
  const user = state.status === "signed-in" ? state.user : undefined;

  useEffect(() => {
    if (!user) return setTokenBinding(undefined);
    let current = true;
    void readTokenBinding(userManager, user).then((binding) => {
      if (current) setTokenBinding(binding);
    });
    return () => {
      current = false;
    };
  }, [userManager, user]);

  useEffect(() => {
    const { events } = userManager;
    const onLoaded = (user: User) => setState({ status: "signed-in", user, expired: false });
    const onUnloaded = () => setState({ status: "signed-out" });
    const renewIfPossible = () => {
      void userManager.getUser().then(async (user) => {
        if (user?.refresh_token) setState(await renew(userManager, user));
        else if (user?.expired) setState(expiredState(user));
      });
    };
    const unsubscribes = [
      events.addUserLoaded(onLoaded),
      events.addUserUnloaded(onUnloaded),
      // Fires a minute before expiry: renew while the old token still works.
      events.addAccessTokenExpiring(renewIfPossible),
      events.addAccessTokenExpired(renewIfPossible),
    ];
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }, [userManager]);

  const login = useCallback(
    async (options?: { prompt?: "login" }) => {
      try {
        await userManager.signinRedirect(options);
      } catch (error) {
        setState({
          status: "signed-out",
          notice: `Could not reach the issuer to log in: ${errorText(error)}`,
        });
      }
    },
    [userManager],
  );

  const logout = useCallback(async () => {
    try {
      // Ends the issuer's session too, then comes back to the post-logout URI.
      await userManager.signoutRedirect();
    } catch (error) {
      await userManager.removeUser();
      setState({ status: "signed-out", notice: `Signed out of this app only: ${errorText(error)}` });
    }
  }, [userManager]);

  const changeDpop = useCallback(
    async (enabled: boolean) => {
      setDpopEnabled(enabled);
      await userManager.removeUser();
      // The UserManager reads the setting when it is made, at page load.
      window.location.reload();
    },
    [userManager],
  );

  const auth = useMemo(
    () => ({
      state,
      login,
      logout,
      apiFetch,
      tokenBinding,
      dpopEnabled: isDpopEnabled(),
      changeDpop,
    }),
    [state, login, logout, apiFetch, tokenBinding, changeDpop],
  );
  return <AuthContext value={auth}>{children}</AuthContext>;
}

export function useAuth(): Auth {
  const auth = use(AuthContext);
  if (!auth) throw new Error("useAuth must be used inside <AuthProvider>");
  return auth;
}

import { afterEach, expect, it, vi } from "vitest";
import { startEmbeddedIssuer } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

it("says in one line of ours that sessions live in memory, instead of oidc-provider's warning", async () => {
  // oidc-provider writes its warning straight to console.warn.
  const consoleWarn = vi.spyOn(console, "warn");
  const logged: string[] = [];
  const log = (message: string) => logged.push(message);
  const issuer = await startEmbeddedIssuer({ logger: { info: log, warn: log, error: log } });
  await issuer.close();

  expect(consoleWarn).not.toHaveBeenCalled();
  expect(logged).toEqual([
    "Sign-in sessions live in memory: restarting the issuer signs everyone out of it. Tokens already issued stay valid until they expire.",
  ]);
});

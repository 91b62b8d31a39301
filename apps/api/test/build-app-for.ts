import { createAccessTokenVerifier } from "@quickstart/auth";
import type { TestIssuer } from "@quickstart/auth/testing";
import { type AppOptions, buildApp } from "../src/app";

/**
 * The API accepting `issuer`'s tokens. No fetch cooldown, so an unknown kid or a failed fetch sends
 * the verifier straight back to the issuer: rotations and outages show on the very next request.
 */
export function buildAppFor(issuer: TestIssuer, options: Omit<AppOptions, "verifier"> = {}) {
  return buildApp({
    ...options,
    verifier: createAccessTokenVerifier({ ...issuer.verifierConfig, fetchCooldownMs: 0 }),
  });
}

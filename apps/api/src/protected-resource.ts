import type { RequestAuthenticator } from "@quickstart/auth";
import type { FastifyInstance } from "fastify";
import { SCOPES } from "./scopes";

export const PROTECTED_RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

/**
 * RFC 9728 protected-resource metadata: which issuers' tokens the API accepts, its scopes and where
 * its documentation is. Built from configuration, never from the request's Host header.
 */
export function registerProtectedResourceMetadata(
  app: FastifyInstance,
  {
    issuers,
    publicUrl,
    dpop,
  }: { issuers: readonly string[]; publicUrl: () => string; dpop: RequestAuthenticator["dpop"] },
): void {
  app.get(PROTECTED_RESOURCE_METADATA_PATH, async () => ({
    resource: publicUrl(),
    authorization_servers: issuers,
    scopes_supported: Object.keys(SCOPES),
    bearer_methods_supported: ["header"],
    resource_documentation: `${publicUrl()}/docs`,
    // RFC 9728 §2: which proof algorithms the API accepts, and whether it accepts only DPoP tokens.
    ...(dpop.mode === "disabled" ? {} : { dpop_signing_alg_values_supported: dpop.algorithms }),
    ...(dpop.mode === "required" ? { dpop_bound_access_tokens_required: true } : {}),
  }));
}

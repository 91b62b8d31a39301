import type { RequestAuthenticator } from "@quickstart/auth";
import type { FastifyInstance } from "fastify";
import { MCP_PATH } from "./mcp";
import { SCOPES } from "./scopes";

const PROTECTED_RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

/**
 * The resources the API describes, by path below its public URL: the API itself, and its MCP
 * endpoint, whose metadata MCP clients look for at the path-suffixed well-known URL (RFC 9728 §3.1).
 */
const PROTECTED_RESOURCE_PATHS = ["", MCP_PATH] as const;

/** Where the metadata of the resource at `resourcePath` (one of {@link PROTECTED_RESOURCE_PATHS}) is served. */
export function protectedResourceMetadataUrl(publicUrl: string, resourcePath: string): string {
  return publicUrl + PROTECTED_RESOURCE_METADATA_PATH + resourcePath;
}

/**
 * RFC 9728 protected-resource metadata: which issuers' tokens the API accepts, its scopes and where
 * its documentation is, for the API and for its MCP endpoint. Each document's `resource` is the
 * URL its well-known URL was derived from (§3.3). Built from configuration, never from the
 * request's Host header.
 */
export function registerProtectedResourceMetadata(
  app: FastifyInstance,
  {
    issuers,
    publicUrl,
    dpop,
  }: { issuers: readonly string[]; publicUrl: () => string; dpop: RequestAuthenticator["dpop"] },
): void {
  for (const resourcePath of PROTECTED_RESOURCE_PATHS) {
    // Public, credential-free documents: any page may read them (an MCP client running in a browser,
    // such as MCP Inspector's), whatever CORS_ORIGINS allows for the API itself.
    const config = { cors: { origin: "*" } };
    app.get(PROTECTED_RESOURCE_METADATA_PATH + resourcePath, { config }, async () => ({
      resource: publicUrl() + resourcePath,
      authorization_servers: issuers,
      scopes_supported: Object.keys(SCOPES),
      bearer_methods_supported: ["header"],
      resource_documentation: `${publicUrl()}/docs`,
      // RFC 9728 §2: which proof algorithms the API accepts, and whether it accepts only DPoP tokens.
      ...(dpop.mode === "disabled" ? {} : { dpop_signing_alg_values_supported: dpop.algorithms }),
      ...(dpop.mode === "required" ? { dpop_bound_access_tokens_required: true } : {}),
    }));
  }
}

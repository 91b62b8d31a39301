import type { FastifyInstance } from "fastify";

/**
 * The OWASP REST Security Cheat Sheet's response headers for a JSON API, built once. Pages that
 * need more (the docs) set their own Content-Security-Policy on their routes.
 */
export function restSecurityHeaders({ https }: { https: boolean }): Record<string, string> {
  return {
    "cache-control": "no-store",
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    // Only where browsers honour it: over https (RFC 6797 §7.2).
    ...(https ? { "strict-transport-security": "max-age=31536000; includeSubDomains" } : {}),
  };
}

/** Sends {@link restSecurityHeaders} on every answer, refusals and 404s included. */
export function addSecurityHeaders(app: FastifyInstance, headers: Record<string, string>): void {
  app.addHook("onRequest", (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}

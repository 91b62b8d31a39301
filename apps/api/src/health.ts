import type { AccessTokenVerifier } from "@quickstart/auth";
import type { FastifyPluginAsync } from "fastify";

export interface HealthOptions {
  /** The verifier, whose `keysStatus()` `/readyz` reports (and never fails on). */
  verifier: Pick<AccessTokenVerifier, "keysStatus" | "keysStatusByIssuer">;
  /** True once shutdown has begun: `/readyz` then answers 503 so load balancers stop routing here. */
  draining?: (() => boolean) | undefined;
}

const KEYS_STATUS = { type: "string", enum: ["loaded", "not_loaded", "stale"] };

const statusSchema = (values: string[], otherProperties: Record<string, object> = {}) => ({
  type: "object",
  properties: { status: { type: "string", enum: values }, ...otherProperties },
  required: ["status"],
});

/**
 * `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: 503 once draining,
 * with the issuers' key status: `keys`, and with several issuers `issuers`, each one's).
 * Neither needs a token or depends on the issuer, and neither is logged at info: probes hit them
 * every few seconds.
 */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { verifier, draining }) => {
  app.get(
    "/healthz",
    { logLevel: "warn", schema: { response: { 200: statusSchema(["ok"]) } } },
    async () => ({ status: "ok" }),
  );
  app.get(
    "/readyz",
    {
      logLevel: "warn",
      schema: {
        response: {
          200: statusSchema(["ready"], {
            keys: KEYS_STATUS,
            issuers: { type: "object", additionalProperties: KEYS_STATUS },
          }),
          503: statusSchema(["draining"]),
        },
      },
    },
    async (_request, reply) => {
      if (draining?.()) return reply.status(503).send({ status: "draining" });
      const byIssuer = verifier.keysStatusByIssuer();
      // With one issuer, `keys` says it all; with several, `keys` combines them and `issuers` details each.
      const issuers = Object.keys(byIssuer).length > 1 ? { issuers: byIssuer } : {};
      return { status: "ready", keys: verifier.keysStatus(), ...issuers };
    },
  );
};

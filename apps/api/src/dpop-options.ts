import {
  type AuthLogger,
  createDpopNonces,
  createMemoryReplayStore,
  createRedisReplayStore,
  type DpopConfig,
  type DpopNonces,
  type ReplayStore,
} from "@quickstart/auth";
import type { ApiEnv } from "./env";

/** How the API handles DPoP (RFC 9449): the mode and proof rules, where used proofs are remembered, nonces. */
export type DpopOptions = DpopConfig & {
  /** Default: in this process's memory, which is right for one replica only. */
  replayStore?: ReplayStore;
  /** Set to require server nonces in proofs (`use_dpop_nonce`). */
  nonces?: DpopNonces | undefined;
};

/**
 * The DPoP options from the validated environment: a Redis replay store when `REDIS_URL` is set
 * (connected before this resolves, so a wrong URL stops the start-up), memory otherwise.
 * The caller closes `replayStore` on shutdown.
 */
export async function dpopOptionsFromEnv(
  env: ApiEnv,
  logger?: AuthLogger,
): Promise<DpopOptions & { replayStore: ReplayStore }> {
  return {
    mode: env.AUTH_DPOP,
    algorithms: env.AUTH_DPOP_ALGORITHMS,
    proofWindowSeconds: env.AUTH_DPOP_PROOF_WINDOW,
    replayStore: env.REDIS_URL
      ? await createRedisReplayStore({ url: env.REDIS_URL, logger })
      : createMemoryReplayStore(),
    nonces: env.AUTH_DPOP_NONCE
      ? createDpopNonces({ secret: env.AUTH_DPOP_NONCE_SECRET, periodSeconds: env.AUTH_DPOP_PROOF_WINDOW })
      : undefined,
  };
}

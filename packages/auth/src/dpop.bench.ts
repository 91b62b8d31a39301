/**
 * What DPoP costs per request, in process: the same cached access token sent as Bearer, and as DPoP
 * with a fresh ES256 proof each time (verified, thumbprinted, recorded in the replay store).
 * Run: pnpm --filter @quickstart/auth exec vitest bench --run
 */
import { afterAll, test } from "vitest";
import { createDpopKey } from "../testing/dpop-key";
import { startTestRedis } from "../testing/redis-server";
import { startTestIssuer } from "../testing/test-issuer";
import { type AuthenticatedRequest, createRequestAuthenticator } from "./dpop";
import { createRedisReplayStore } from "./redis-replay-store";
import { createMemoryReplayStore } from "./replay-store";
import { createAccessTokenVerifier } from "./verifier";

const PUBLIC_URL = "http://localhost:3010";
const PATH = "/api/private";
/** More proofs than a one-second run can spend: each is accepted once only. */
const PROOFS = 40_000;

const [issuer, redis, key] = await Promise.all([startTestIssuer(), startTestRedis(), createDpopKey("ES256")]);
const redisStore = await createRedisReplayStore({ url: redis.url });
afterAll(async () => {
  await redisStore.close();
  await redis.stop();
  await issuer.close();
});

const verifier = createAccessTokenVerifier(issuer.verifierConfig);
const bearerToken = await issuer.sign();
const boundToken = await issuer.sign({ cnf: { jkt: key.thumbprint } });
const inMemory = createRequestAuthenticator(verifier, {
  publicUrl: PUBLIC_URL,
  replayStore: createMemoryReplayStore(),
});
const withRedis = createRequestAuthenticator(verifier, { publicUrl: PUBLIC_URL, replayStore: redisStore });

async function proofPool() {
  const proofs: string[] = [];
  for (let i = 0; i < PROOFS; i++) {
    proofs.push(await key.proof({ htm: "GET", htu: `${PUBLIC_URL}${PATH}`, accessToken: boundToken }));
  }
  return proofs;
}
const [memoryProofs, redisProofs] = [await proofPool(), await proofPool()];

const request = (authorization: string, dpop?: string): AuthenticatedRequest => ({
  method: "GET",
  url: PATH,
  headers: { authorization, dpop },
});
function next(proofs: string[]): string {
  const proof = proofs.pop();
  if (proof === undefined) throw new Error("out of fresh proofs: raise PROOFS");
  return proof;
}

test("one authenticated request (token already in the verified-token cache)", async ({ bench }) => {
  await bench.compare(
    bench("Bearer", async () => {
      await inMemory.authenticate(request(`Bearer ${bearerToken}`));
    }),
    bench("DPoP, in-memory replay store", async () => {
      await inMemory.authenticate(request(`DPoP ${boundToken}`, next(memoryProofs)));
    }),
    bench("DPoP, Redis replay store (loopback)", async () => {
      await withRedis.authenticate(request(`DPoP ${boundToken}`, next(redisProofs)));
    }),
    { time: 1000 },
  );
});

/** The in-process rows' operations (rows.ts names them), and the loop that runs them in rounds. */
import { appRouter, createCallerFactory, createContextInner } from "@quickstart/api";
import { createAccessTokenVerifier, createProofKeyCache } from "@quickstart/auth";
import { createDpopKey, startTestIntrospectionServer, startTestIssuer } from "@quickstart/auth/testing";
import type { InProcessContext, InProcessRow } from "./bench";

/** A new verifier with its key set fetched and `token` cached, as a running API's is. */
async function warmVerifier({ issuer }: InProcessContext, token: string, issuers?: string[]) {
  const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, issuer: issuers ?? issuer.issuer });
  await verifier.verify(token);
  return verifier;
}

/** Verifies tokens that the verifier has not seen: a signature check each; `issuers` also trusted, never asked. */
export async function verifyFreshTokens(context: InProcessContext, issuers: string[] = []) {
  const [first = "", ...others] = context.tokens;
  const verifier = await warmVerifier(
    context,
    first,
    issuers.length ? [context.issuer.issuer, ...issuers] : undefined,
  );
  return { calls: others.length, call: (i: number) => verifier.verify(others[i] ?? "") };
}

/** Verifies one token again and again: a cache hit each. */
export async function verifyRepeatedToken(context: InProcessContext) {
  const [token = ""] = context.tokens;
  const verifier = await warmVerifier(context, token);
  return { calls: 100_000, call: () => verifier.verify(token) };
}

/**
 * Verifies one opaque token again and again: an introspection cache hit each. The endpoint that
 * answered the first call is closed before the calls are timed, so none of them can reach it.
 */
export async function verifyRepeatedOpaqueToken({ issuer }: InProcessContext) {
  const endpoint = await startTestIntrospectionServer();
  const token = "bench-opaque-token-not-a-jwt-0123456789abcdef";
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const answer = { active: true, iss: issuer.issuer, aud: issuer.audience, exp, scope: "read:messages" };
  endpoint.answer = () => answer;
  const verifier = createAccessTokenVerifier({
    ...issuer.verifierConfig,
    introspection: { clientId: "bench", clientSecret: "bench", endpoint: endpoint.endpoint },
  });
  try {
    await verifier.verify(token);
  } finally {
    await endpoint.close();
  }
  return { calls: 100_000, call: () => verifier.verify(token) };
}

/** Calls `procedure` with a new caller and context each time, as the HTTP adapter makes one per request. */
export async function callThroughCaller(context: InProcessContext, procedure: "public" | "private") {
  const [token = ""] = context.tokens;
  const verifier = await warmVerifier(context, token);
  const createCaller = createCallerFactory(appRouter);
  const trpcContext = () => createContextInner({ authenticate: () => verifier.verify(token) });
  return { calls: 20_000, call: () => createCaller(trpcContext())[procedure]() };
}

/**
 * Verifies ES256 DPoP proofs with their key already prepared, with the call packages/auth makes last
 * for each proof (the proof-key cache's `verify`, the same options): the floor of what DPoP costs per request.
 */
export async function verifyProofSignatures() {
  const key = await createDpopKey("ES256");
  const htu = "http://127.0.0.1/api/private";
  const proofs = await Promise.all(Array.from({ length: 1001 }, () => key.proof({ htm: "GET", htu })));
  const options = { typ: "dpop+jwt", algorithms: ["ES256"], requiredClaims: ["jti", "iat", "htm", "htu"] };
  const [first = "", ...others] = proofs;
  const cached = createProofKeyCache().keyOf(key.publicJwk as Record<string, unknown>, "ES256");
  await cached.verify(first, options);
  return { calls: others.length, call: (i: number) => cached.verify(others[i] ?? "", options) };
}

/**
 * Runs every in-process row in `rounds` interleaved rounds (the order reversed every other round,
 * so that no row always runs on another's garbage) after one unmeasured round. CPU µs (user +
 * system, every thread) per call of each row, one value per round.
 */
export async function runInProcessRows(rows: InProcessRow[], rounds: number): Promise<Map<string, number[]>> {
  const results = new Map(rows.map((row) => [row.name, [] as number[]]));
  const issuer = await startTestIssuer();
  try {
    const tokens = await Promise.all(
      Array.from({ length: 1001 }, (_, i) => issuer.sign({ sub: `user-${i}` })),
    );
    for (let round = 0; round <= rounds; round += 1) {
      for (const row of round % 2 === 0 ? rows : rows.toReversed()) {
        const { calls, call } = await row.prepare({ issuer, tokens });
        const before = process.cpuUsage();
        for (let i = 0; i < calls; i += 1) await call(i);
        const used = process.cpuUsage(before);
        if (round > 0) results.get(row.name)?.push((used.user + used.system) / calls);
      }
    }
  } finally {
    await issuer.close();
  }
  return results;
}

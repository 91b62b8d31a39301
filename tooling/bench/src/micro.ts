import { appRouter, createCallerFactory, createContextInner } from "@quickstart/api";
import { createAccessTokenVerifier } from "@quickstart/auth";
import { startTestIssuer } from "@quickstart/auth/testing";

export interface MicroResult {
  /** µs per verification: a fresh token (a signature check each) and one repeated token (cache hits). */
  freshTokenMicros: number;
  repeatedTokenMicros: number;
  /** µs of CPU per call through the router's server-side caller, medians of interleaved rounds. */
  callerPublicMicros: number;
  callerPrivateMicros: number;
  /** Median of the per-round differences private − public. */
  callerPrivateExtraMicros: number;
}

const ROUNDS = 7;
const CALLS_PER_ROUND = 20_000;
const PUBLIC_FIRST = ["public", "private"] as const;
const PRIVATE_FIRST = ["private", "public"] as const;

/** CPU time (user + system, every thread) per call of `operation`, in µs. */
async function cpuMicrosPerCall(calls: number, operation: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i += 1) await operation();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** packages/auth's verifier alone, then `public` against `private` through `createCaller`, in-process. */
export async function runMicrobenchmarks(): Promise<MicroResult> {
  const issuer = await startTestIssuer();
  try {
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => issuer.sign({ sub: `user-${i}` })),
    );
    const fresh = createAccessTokenVerifier(issuer.verifierConfig);
    await fresh.verify(await issuer.sign()); // fetches the key set outside the timing
    let next = 0;
    const freshTokenMicros = await cpuMicrosPerCall(tokens.length, () => fresh.verify(tokens[next++] ?? ""));

    const verifier = createAccessTokenVerifier(issuer.verifierConfig);
    const token = tokens[0] ?? "";
    const repeatedTokenMicros = await cpuMicrosPerCall(200_000, () => verifier.verify(token));

    // A new caller and context per call, as the HTTP adapter makes one per request.
    const createCaller = createCallerFactory(appRouter);
    const call = (procedure: "public" | "private") =>
      createCaller(createContextInner({ authenticate: () => verifier.verify(token) }))[procedure]();
    const rounds = { public: [] as number[], private: [] as number[], extra: [] as number[] };
    for (let round = 0; round <= ROUNDS; round += 1) {
      // Alternating which goes first, so neither always runs on the other's garbage.
      const micros = { public: 0, private: 0 };
      for (const procedure of round % 2 === 0 ? PUBLIC_FIRST : PRIVATE_FIRST) {
        micros[procedure] = await cpuMicrosPerCall(CALLS_PER_ROUND, () => call(procedure));
      }
      if (round === 0) continue; // warm-up
      rounds.public.push(micros.public);
      rounds.private.push(micros.private);
      rounds.extra.push(micros.private - micros.public);
    }
    return {
      freshTokenMicros,
      repeatedTokenMicros,
      callerPublicMicros: median(rounds.public),
      callerPrivateMicros: median(rounds.private),
      callerPrivateExtraMicros: median(rounds.extra),
    };
  } finally {
    await issuer.close();
  }
}

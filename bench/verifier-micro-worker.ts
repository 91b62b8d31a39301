/**
 * Microbenchmark of packages/auth alone, run in its own process: verifications per second for a
 * fresh token each time (a signature check every call), for one repeated token (cache hits, also
 * with the token as a new string each call), and for the repeated token with the cache disabled. Prints one JSON line ({@link MicroResult}).
 */
import { createHash } from "node:crypto";
import { createAccessTokenVerifier } from "@quickstart/auth";
import { startTestIssuer } from "@quickstart/auth/testing";

export interface MicroRow {
  name: string;
  operations: number;
  perSecond: number;
  microsPerOperation: number;
}

export interface MicroResult {
  rows: MicroRow[];
}

const DISTINCT_TOKENS = 1500;
const FRESH_ROUNDS = 4;
const TIMED_SECONDS = 1.5;

function row(name: string, operations: number, seconds: number): MicroRow {
  return {
    name,
    operations,
    perSecond: operations / seconds,
    microsPerOperation: (seconds * 1e6) / operations,
  };
}

/** Runs `operation` repeatedly for about `seconds` (after a short warm-up) and counts. */
async function timed(name: string, operation: () => unknown): Promise<MicroRow> {
  for (let i = 0; i < 2000; i += 1) await operation();
  let operations = 0;
  const started = performance.now();
  const until = started + TIMED_SECONDS * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 500; i += 1) await operation();
    operations += 500;
  }
  return row(name, operations, (performance.now() - started) / 1000);
}

const issuer = await startTestIssuer();
const config = issuer.verifierConfig;
const tokens = await Promise.all(
  Array.from({ length: DISTINCT_TOKENS }, (_, i) => issuer.sign({ sub: `user-${i}` })),
);
const repeated = tokens[0] as string;
const rows: MicroRow[] = [];

// A new verifier per round, so every token is a cache miss (and is then stored, as in production).
let freshSeconds = 0;
for (let round = 0; round < FRESH_ROUNDS; round += 1) {
  const verifier = createAccessTokenVerifier(config);
  await verifier.verify(await issuer.sign()); // fetches the key set outside the timing
  const started = performance.now();
  for (const token of tokens) await verifier.verify(token);
  freshSeconds += (performance.now() - started) / 1000;
}
rows.push(
  row("fresh token every call (RSA verify + cache insert)", DISTINCT_TOKENS * FRESH_ROUNDS, freshSeconds),
);

const cached = createAccessTokenVerifier(config);
rows.push(await timed("repeated token, cache on (hit)", () => cached.verify(repeated)));
// An HTTP request brings the token as a new string, whose hash V8 has not computed yet.
const [head, rest] = [repeated.slice(0, 8), repeated.slice(8)];
rows.push(
  await timed("repeated token as a new string each call, cache on (hit; includes making the string)", () =>
    cached.verify(head + rest),
  ),
);

const uncached = createAccessTokenVerifier({ ...config, tokenCacheSize: 0 });
rows.push(await timed("repeated token, cache off (tokenCacheSize 0)", () => uncached.verify(repeated)));

// What keying the cache by a SHA-256 of the token would add to every hit.
rows.push(
  await timed("SHA-256 of the token alone (not used by the cache)", () =>
    createHash("sha256").update(repeated).digest("base64url"),
  ),
);

await issuer.close();
const result: MicroResult = { rows };
process.stdout.write(`${JSON.stringify(result)}\n`);

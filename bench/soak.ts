/**
 * Soak test of the built API (`pnpm soak`, not part of the unit run): concurrent clients send a
 * mix of valid and hostile requests for a set time against a real JWKS server; every answer is
 * checked against the expected status and code. Reports 5xx, wrong answers, and the API's memory
 * at start and end. SOAK_SECONDS (default 30) and SOAK_CLIENTS (default 16) tune it.
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { startTestIssuer } from "@quickstart/auth/testing";
import { base64url } from "jose";
import { ensureApiBuilt, startApi } from "./api-process";
import { detectCpuPinning } from "./cpu-pinning";
import { stopAllChildren } from "./processes";
import { positiveFromEnv } from "./settings";

const [seconds, clients] = (() => {
  try {
    return [positiveFromEnv("SOAK_SECONDS", 30), positiveFromEnv("SOAK_CLIENTS", 16)];
  } catch (error) {
    console.error(`soak failed: ${(error as Error).message}`);
    process.exit(1);
  }
})();
const root = fileURLToPath(new URL("..", import.meta.url));
const megabytes = (bytes: number) => Math.round(bytes / 104_857.6) / 10;

ensureApiBuilt(root);
const issuer = await startTestIssuer();
const api = await startApi({
  root,
  pinning: detectCpuPinning(availableParallelism()),
  env: { AUTH_ISSUER: issuer.issuer, API_AUDIENCE: issuer.audience },
  logLevel: "warn",
});
const base = api.url;
const stop = async () => {
  await stopAllChildren();
  await issuer.close();
};
process.once("SIGINT", () => void stop().then(() => process.exit(130)));

const now = Math.floor(Date.now() / 1000);
const valid = await issuer.sign();
const unscoped = await issuer.sign({ scope: "openid" });
const expired = await issuer.sign({ exp: now - 60 });
const wrongAudience = await issuer.sign({ aud: "https://other/api" });
const unknownKid = await issuer.sign({}, { kid: "unknown" });
const algNone = `${base64url.encode('{"alg":"none","kid":"x"}')}.${base64url.encode("{}")}.`;
const [header, payload, signature] = valid.split(".");
const tampered = `${header}.${payload?.slice(0, -4)}AAAA.${signature}`;

// [path, Authorization header, expected status, expected code]
type Case = [string, string | undefined, number, string | undefined];
const cases: Case[] = [];
for (const [rest, trpc] of [
  ["/api/private", "/trpc/private"],
  ["/api/private-scoped", "/trpc/privateScoped"],
]) {
  const scoped = rest === "/api/private-scoped";
  for (const path of [rest, trpc] as string[]) {
    cases.push(
      [path, `Bearer ${valid}`, 200, undefined],
      [path, `Bearer ${unscoped}`, scoped ? 403 : 200, scoped ? "Unauthorized" : undefined],
      [path, undefined, 401, "authorization_header_missing"],
      [path, "Basic abc", 401, "invalid_header"],
      [path, `Bearer ${expired}`, 401, "token_expired"],
      [path, `Bearer ${wrongAudience}`, 401, "invalid_claims"],
      [path, `Bearer ${unknownKid}`, 401, "invalid_header"],
      [path, `Bearer ${algNone}`, 401, "invalid_header"],
      [path, `Bearer ${tampered}`, 401, "invalid_header"],
      [path, `Bearer ${"x".repeat(9000)}`, 401, "invalid_header"],
    );
  }
}
cases.push(["/api/public", "Bearer garbage", 200, undefined], ["/trpc/public", undefined, 200, undefined]);

const rssAtStart = megabytes(api.rssBytes());
const counts = { requests: 0, serverErrors: 0, wrong: 0, networkErrors: 0 };
const wrongExamples: string[] = [];
const deadline = Date.now() + seconds * 1000;

async function client(seed: number) {
  for (let i = seed; Date.now() < deadline; i += 1) {
    const [path, authorization, status, code] = cases[i % cases.length] as Case;
    try {
      const response = await fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });
      const body = (await response.json()) as {
        code?: string;
        error?: { data?: { auth?: { code?: string } } };
      };
      const gotCode = body.code ?? body.error?.data?.auth?.code;
      counts.requests += 1;
      if (response.status >= 500) counts.serverErrors += 1;
      if (response.status !== status || gotCode !== code) {
        counts.wrong += 1;
        if (wrongExamples.length < 5)
          wrongExamples.push(`${path}: ${response.status} ${gotCode}, expected ${status} ${code}`);
      }
    } catch {
      counts.networkErrors += 1;
    }
  }
}

console.log(`soak: ${clients} clients for ${seconds} s, ${cases.length} request kinds, API pid ${api.pid}`);
await Promise.all(Array.from({ length: clients }, (_, i) => client(i * 7)));
const rssAtEnd = megabytes(api.rssBytes());
const peakRss = megabytes(api.peakRssBytes());
await stop();

console.table({
  requests: counts.requests,
  "requests/s": Math.round(counts.requests / seconds),
  "5xx": counts.serverErrors,
  "wrong answers": counts.wrong,
  "network errors": counts.networkErrors,
  "JWKS fetches": issuer.requests.jwks,
  "RSS at start (MB)": rssAtStart,
  "RSS at end (MB)": rssAtEnd,
  "peak RSS (MB)": peakRss,
});
for (const example of wrongExamples) console.log(`wrong: ${example}`);
const ok = counts.serverErrors === 0 && counts.wrong === 0 && counts.networkErrors === 0;
console.log(ok ? "soak passed" : "soak FAILED");
process.exit(ok ? 0 : 1);

/**
 * Soak test of the built API (`pnpm soak`, not part of the unit run): concurrent clients send a
 * mix of valid and hostile requests for a set time against a real JWKS server; every answer is
 * checked against the expected status and code. Reports 5xx, wrong answers, and the API's memory
 * at start and end. SOAK_SECONDS (default 30) and SOAK_CLIENTS (default 16) tune it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { startTestIssuer } from "@quickstart/auth/testing";
import { base64url } from "jose";

const seconds = Number(process.env.SOAK_SECONDS ?? 30);
const clients = Number(process.env.SOAK_CLIENTS ?? 16);

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb("VmRSS") / 102.4) / 10, peakMb: Math.round(kb("VmHWM") / 102.4) / 10 };
}

const issuer = await startTestIssuer();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const api: ChildProcess = spawn(
  process.execPath,
  [fileURLToPath(new URL("../apps/api/dist/server.js", import.meta.url))],
  {
    env: {
      ...process.env,
      AUTH_ISSUER: issuer.issuer,
      API_AUDIENCE: issuer.audience,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  },
);
const stop = async () => {
  api.kill("SIGTERM");
  await issuer.close();
};
process.once("SIGINT", () => void stop().then(() => process.exit(130)));

for (let tries = 0; ; tries += 1) {
  if (
    await fetch(`${base}/api/public`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  if (tries > 100) throw new Error("the API did not start; run `pnpm build` first");
  await new Promise((resolve) => setTimeout(resolve, 50));
}

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

const memoryAtStart = memoryOf(api.pid as number);
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
const memoryAtEnd = memoryOf(api.pid as number);
await stop();

console.table({
  requests: counts.requests,
  "requests/s": Math.round(counts.requests / seconds),
  "5xx": counts.serverErrors,
  "wrong answers": counts.wrong,
  "network errors": counts.networkErrors,
  "JWKS fetches": issuer.requests.jwks,
  "RSS at start (MB)": memoryAtStart.rssMb,
  "RSS at end (MB)": memoryAtEnd.rssMb,
  "peak RSS (MB)": memoryAtEnd.peakMb,
});
for (const example of wrongExamples) console.log(`wrong: ${example}`);
const ok = counts.serverErrors === 0 && counts.wrong === 0 && counts.networkErrors === 0;
console.log(ok ? "soak passed" : "soak FAILED");
process.exit(ok ? 0 : 1);

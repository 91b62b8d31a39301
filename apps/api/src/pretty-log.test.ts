import { createAccessTokenVerifier } from "@quickstart/auth";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "./app";
import { createPrettyLogStream } from "./pretty-log";

const lines: string[] = [];
let close: (() => Promise<unknown>) | undefined;

afterEach(async () => {
  await close?.();
  lines.length = 0;
});

/** The API with its pretty log captured, listening on a free port as `npm start` runs it. */
async function startApi() {
  const stream = await createPrettyLogStream((text) => lines.push(...text.trimEnd().split("\n")));
  const app = await buildApp({
    // Never reached: these requests are refused before a key is needed.
    verifier: createAccessTokenVerifier({
      issuer: "http://127.0.0.1:9/",
      audience: "https://quickstarts/api",
    }),
    logger: { level: "info", stream },
  });
  close = () => app.close();
  return app.listen({ host: "127.0.0.1", port: 0 });
}

describe("LOG_FORMAT=pretty", () => {
  it("logs one line per request: time, method, path, status, duration and refusal code", async () => {
    const url = await startApi();
    lines.length = 0; // "Server listening at ..."
    await fetch(`${url}/api/public`);
    await fetch(`${url}/api/private`);
    await fetch(`${url}/trpc/private`, { headers: { authorization: "Basic abc" } });

    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: GET \/api\/public 200 \d+ ms$/);
    expect(lines[1]).toMatch(
      /^\[\d\d:\d\d:\d\d\] INFO: GET \/api\/private 401 \d+ ms authorization_header_missing$/,
    );
    expect(lines[2]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: GET \/trpc\/private 401 \d+ ms invalid_header$/);
  });

  it("puts a refusal's details after its code", async () => {
    const stream = await createPrettyLogStream((text) => lines.push(text.trimEnd()));
    const log = (entry: object) =>
      stream.write(`${JSON.stringify({ level: 30, time: 0, reqId: "req-1", ...entry })}\n`);
    log({ msg: "incoming request", req: { method: "GET", url: "/api/private" } });
    log({ msg: "request refused", code: "invalid_claims", status: 401, detail: "aud expected A, got B" });
    log({ msg: "request completed", res: { statusCode: 401 }, responseTime: 1.4 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/INFO: GET \/api\/private 401 1 ms invalid_claims \(aud expected A, got B\)$/);
  });

  it("passes other lines through pino-pretty on one line each, without pid or hostname", async () => {
    await startApi();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: Server listening at http:\/\/127\.0\.0\.1:\d+$/);
  });
});

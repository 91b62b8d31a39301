/**
 * DPoP (RFC 9449) at the HTTP level: each attack as a row with its exact status, code and
 * WWW-Authenticate, on the REST mirrors and on tRPC. Two replicas share a real redis-server as their
 * replay store, so a proof replayed against the other replica is refused too.
 */
import { request as httpRequest } from "node:http";
import { createAccessTokenVerifier, createDpopNonces, createRedisReplayStore } from "@quickstart/auth";
import {
  createDpopKey,
  type DpopKey,
  type ProofOptions,
  startTestIssuer,
  startTestRedis,
  type TestIssuer,
  type TestRedis,
} from "@quickstart/auth/testing";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppOptions, buildApp } from "../src/app";
import type { DpopOptions } from "../src/dpop-options";

const PUBLIC_URL = "https://api.example.test";
const METADATA = `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource"`;
const ALGS = 'algs="ES256 EdDSA Ed25519 PS256 RS256"';
/** Where each transport serves the protected procedure. */
const PATHS = { REST: "/api/private", tRPC: "/trpc/private" } as const;

let issuer: TestIssuer;
let redis: TestRedis;
let replicaA: FastifyInstance;
let replicaB: FastifyInstance;
let key: DpopKey;
let otherKey: DpopKey;
let boundToken: string;
let bearerToken: string;
const toClose: { close(): Promise<unknown> }[] = [];

async function replica(dpop: DpopOptions = {}, options: Partial<AppOptions> = {}) {
  const app = await buildApp({
    verifier: createAccessTokenVerifier(issuer.verifierConfig),
    publicUrl: PUBLIC_URL,
    dpop,
    ...options,
  });
  toClose.unshift(app);
  return app;
}

beforeAll(async () => {
  [issuer, redis, key, otherKey] = await Promise.all([
    startTestIssuer(),
    startTestRedis(),
    createDpopKey("ES256"),
    createDpopKey("ES256"),
  ]);
  const [storeA, storeB] = await Promise.all([
    createRedisReplayStore({ url: redis.url }),
    createRedisReplayStore({ url: redis.url }),
  ]);
  toClose.push(storeA, storeB);
  replicaA = await replica({ replayStore: storeA });
  replicaB = await replica({ replayStore: storeB });
  boundToken = await issuer.sign({ cnf: { jkt: key.thumbprint } });
  bearerToken = await issuer.sign();
});
afterAll(async () => {
  for (const closable of toClose) await closable.close();
  await redis?.stop();
  await issuer?.close();
});

interface Outcome {
  status: number;
  code: string | undefined;
  description: string | undefined;
  /** Every WWW-Authenticate challenge, one header or several, as one comma-joined value. */
  wwwAuthenticate: string | undefined;
  headers: Record<string, unknown>;
}

async function call(
  app: FastifyInstance,
  path: string,
  headers: Record<string, string | string[]>,
): Promise<Outcome> {
  const response = await app.inject({ method: "GET", url: path, headers });
  const body = response.json() as {
    code?: string;
    description?: string;
    error?: { data?: { auth?: { code?: string; description?: string } } };
  };
  const auth = body.error?.data?.auth ?? body;
  const challenge = response.headers["www-authenticate"];
  return {
    status: response.statusCode,
    code: auth.code,
    description: auth.description,
    wwwAuthenticate: challenge === undefined ? undefined : [challenge].flat().join(", "),
    headers: response.headers,
  };
}

const now = () => Math.floor(Date.now() / 1000);
const htuOf = (path: string) => `${PUBLIC_URL}${path}`;
const proofFor = (path: string, options: Partial<ProofOptions> = {}, signer = key) =>
  signer.proof({ htm: "GET", htu: htuOf(path), accessToken: boundToken, ...options });
const dpopHeaders = (proof: string | string[], token = boundToken) => ({
  authorization: `DPoP ${token}`,
  dpop: proof,
});

/** The answer to every bad proof while both schemes are allowed: the error in DPoP's challenge, Bearer offered too. */
function invalidProof(description: string) {
  return {
    status: 401,
    code: "invalid_dpop_proof",
    description,
    wwwAuthenticate: `DPoP error="invalid_dpop_proof", error_description="${description}", ${ALGS}, ${METADATA}, Bearer ${METADATA}`,
  };
}

type Row = [
  string,
  (path: string) => Promise<{ headers: Record<string, string | string[]>; app?: FastifyInstance }>,
  ReturnType<typeof invalidProof>,
];

const ROWS: Row[] = [
  [
    "a replayed proof, on the same replica",
    async (path) => {
      const headers = dpopHeaders(await proofFor(path));
      expect((await call(replicaA, path, headers)).status).toBe(200);
      return { headers };
    },
    invalidProof("The DPoP proof has already been used"),
  ],
  [
    "a replayed proof, on another replica (through Redis)",
    async (path) => {
      const headers = dpopHeaders(await proofFor(path));
      expect((await call(replicaB, path, headers)).status).toBe(200);
      return { headers };
    },
    invalidProof("The DPoP proof has already been used"),
  ],
  [
    "the wrong htm",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { htm: "POST" })) }),
    invalidProof("The DPoP proof htm does not match the request method"),
  ],
  [
    "the wrong htu: another path",
    async () => ({ headers: dpopHeaders(await proofFor("/api/public")) }),
    invalidProof("The DPoP proof htu does not match the request URL"),
  ],
  [
    "the wrong htu: another host",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { htu: `https://evil.example${path}` })) }),
    invalidProof("The DPoP proof htu does not match the request URL"),
  ],
  [
    "the wrong htu: a query string added",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { htu: `${htuOf(path)}?x=1` })) }),
    invalidProof("The DPoP proof htu does not match the request URL"),
  ],
  [
    "the wrong htu: a spoofed Host header naming the proof's host",
    async (path) => ({
      headers: {
        ...dpopHeaders(await proofFor(path, { htu: `http://evil.example${path}` })),
        host: "evil.example",
      },
    }),
    invalidProof("The DPoP proof htu does not match the request URL"),
  ],
  [
    "iat too old",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { iat: now() - 120 })) }),
    invalidProof("The DPoP proof iat is outside the accepted window"),
  ],
  [
    "iat too new",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { iat: now() + 120 })) }),
    invalidProof("The DPoP proof iat is outside the accepted window"),
  ],
  [
    "a proof signed by another key than its jwk",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { signWith: otherKey })) }),
    invalidProof("The DPoP proof signature does not verify with its jwk"),
  ],
  [
    "a jwk with private members",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { jwk: key.privateJwk })) }),
    invalidProof("The DPoP proof jwk must be a public key"),
  ],
  [
    "alg none",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { alg: "none" })) }),
    invalidProof("The DPoP proof alg must be one of ES256, EdDSA, Ed25519, PS256, RS256"),
  ],
  [
    "alg HS256",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { alg: "HS256" })) }),
    invalidProof("The DPoP proof alg must be one of ES256, EdDSA, Ed25519, PS256, RS256"),
  ],
  [
    "a missing ath",
    async (path) => ({ headers: dpopHeaders(await key.proof({ htm: "GET", htu: htuOf(path) })) }),
    invalidProof("The DPoP proof ath does not match the access token"),
  ],
  [
    "a wrong ath",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { ath: "A".repeat(43) })) }),
    invalidProof("The DPoP proof ath does not match the access token"),
  ],
  [
    "a cnf.jkt mismatch (the proof is by another key)",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, {}, otherKey)) }),
    invalidProof("The access token is bound to another key than the DPoP proof's"),
  ],
  [
    "a bound token sent as Bearer",
    async () => ({ headers: { authorization: `Bearer ${boundToken}` } }),
    invalidProof("The access token is bound to a DPoP key: send it with the DPoP scheme and a DPoP proof"),
  ],
  [
    "the DPoP scheme with no proof",
    async () => ({ headers: { authorization: `DPoP ${boundToken}` } }),
    invalidProof("The DPoP scheme needs a DPoP proof header"),
  ],
  [
    "two DPoP headers",
    async (path) => ({ headers: dpopHeaders([await proofFor(path), await proofFor(path)]) }),
    invalidProof("Exactly one DPoP proof header is expected"),
  ],
  [
    "a proof made for a different access token",
    async (path) => ({ headers: dpopHeaders(await proofFor(path, { accessToken: bearerToken })) }),
    invalidProof("The DPoP proof ath does not match the access token"),
  ],
  [
    "an unbound token with the DPoP scheme",
    async (path) => ({
      headers: dpopHeaders(await proofFor(path, { accessToken: bearerToken }), bearerToken),
    }),
    invalidProof("The access token is not bound to a DPoP key"),
  ],
];

describe.each(Object.entries(PATHS))("%s", (_transport, path) => {
  it("accepts a DPoP-bound token with a fresh proof on every request, then the same token as Bearer is refused", async () => {
    for (const app of [replicaA, replicaB, replicaA]) {
      expect((await call(app, path, dpopHeaders(await proofFor(path)))).status).toBe(200);
    }
    expect((await call(replicaA, path, { authorization: `Bearer ${boundToken}` })).status).toBe(401);
  });

  it("accepts a proof whose htu omits the request's query string", async () => {
    const withQuery = path === PATHS.REST ? `${path}?page=2` : `${path}?input=%7B%7D`;
    expect((await call(replicaA, withQuery, dpopHeaders(await proofFor(path)))).status).toBe(200);
  });

  it("ignores the Host header: a proof for the public URL passes whatever Host says", async () => {
    const headers = { ...dpopHeaders(await proofFor(path)), host: "evil.example" };
    expect((await call(replicaA, path, headers)).status).toBe(200);
  });

  it.each(ROWS)("refuses %s", async (_name, attack, expected) => {
    const { headers, app = replicaA } = await attack(path);
    const outcome = await call(app, path, headers);
    expect({
      status: outcome.status,
      code: outcome.code,
      description: outcome.description,
      wwwAuthenticate: outcome.wwwAuthenticate,
    }).toEqual(expected);
  });

  it("keeps the quickstart's codes for a bad token, with the error in Bearer's challenge", async () => {
    const expired = await issuer.sign({ cnf: { jkt: key.thumbprint }, exp: now() - 60 });
    const outcome = await call(
      replicaA,
      path,
      dpopHeaders(await key.proof({ htm: "GET", htu: htuOf(path), accessToken: expired }), expired),
    );
    expect([outcome.status, outcome.code, outcome.wwwAuthenticate]).toEqual([
      401,
      "token_expired",
      `Bearer error="invalid_token", error_description="token is expired", ${METADATA}, DPoP ${ALGS}, ${METADATA}`,
    ]);
  });
});

describe("tRPC batches", () => {
  it("carry one proof for the whole batch, checked and spent once", async () => {
    const path = "/trpc/private,privateScoped";
    const headers = dpopHeaders(await proofFor(path));
    const response = await replicaA.inject({ method: "GET", url: `${path}?batch=1&input=%7B%7D`, headers });
    expect(response.statusCode).toBe(200);
    expect((response.json() as unknown[]).length).toBe(2);
    const replay = await replicaB.inject({ method: "GET", url: `${path}?batch=1&input=%7B%7D`, headers });
    expect(replay.statusCode).toBe(401);
  });
});

describe("over the network", () => {
  /** Sends raw headers (repeated names stay repeated) to a listening replica. */
  async function rawGet(baseUrl: string, path: string, rawHeaders: string[]) {
    const { hostname, port } = new URL(baseUrl);
    return new Promise<{ status: number; body: { code?: string; description?: string } }>(
      (resolve, reject) => {
        const req = httpRequest(
          {
            hostname,
            port,
            path,
            method: "GET",
            headers: ["host", `${hostname}:${port}`, "connection", "close", ...rawHeaders],
          },
          (res) => {
            let body = "";
            res.on("data", (chunk) => {
              body += chunk;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
          },
        );
        req.on("error", reject);
        req.end();
      },
    );
  }

  it("refuses two DPoP header lines, and checks htu against API_PUBLIC_URL, not the Host it was reached at", async () => {
    const app = await replica();
    const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    const path = PATHS.REST;
    const two = await rawGet(baseUrl, path, [
      "authorization",
      `DPoP ${boundToken}`,
      "dpop",
      await proofFor(path),
      "dpop",
      await proofFor(path),
    ]);
    expect([two.status, two.body.code, two.body.description]).toEqual([
      401,
      "invalid_dpop_proof",
      "Exactly one DPoP proof header is expected",
    ]);

    // The proof names the address the client really used, which is not the API's public URL.
    const local = await rawGet(baseUrl, path, [
      "authorization",
      `DPoP ${boundToken}`,
      "dpop",
      await proofFor(path, { htu: `${baseUrl}${path}` }),
    ]);
    expect([local.status, local.body.code]).toEqual([401, "invalid_dpop_proof"]);
    const good = await rawGet(baseUrl, path, [
      "authorization",
      `DPoP ${boundToken}`,
      "dpop",
      await proofFor(path),
    ]);
    expect(good.status).toBe(200);
  });
});

describe("modes", () => {
  it("required: Bearer is refused with a DPoP-only challenge, and the metadata says so", async () => {
    const app = await replica({ mode: "required" });
    for (const path of Object.values(PATHS)) {
      const outcome = await call(app, path, { authorization: `Bearer ${bearerToken}` });
      expect([outcome.status, outcome.code, outcome.wwwAuthenticate]).toEqual([
        401,
        "invalid_header",
        `DPoP error="invalid_token", error_description="Authorization header must use the DPoP scheme", ${ALGS}, ${METADATA}`,
      ]);
      const none = await call(app, path, {});
      expect([none.status, none.code, none.wwwAuthenticate]).toEqual([
        401,
        "authorization_header_missing",
        `DPoP ${ALGS}, ${METADATA}`,
      ]);
      const badProof = await call(app, path, dpopHeaders(await proofFor(path, { htm: "PUT" })));
      expect(badProof.wwwAuthenticate).toBe(
        `DPoP error="invalid_dpop_proof", error_description="The DPoP proof htm does not match the request method", ${ALGS}, ${METADATA}`,
      );
      expect((await call(app, path, dpopHeaders(await proofFor(path)))).status).toBe(200);
    }
    const metadata = (await app.inject({ url: "/.well-known/oauth-protected-resource" })).json();
    expect(metadata).toMatchObject({
      dpop_signing_alg_values_supported: ["ES256", "EdDSA", "Ed25519", "PS256", "RS256"],
      dpop_bound_access_tokens_required: true,
    });
  });

  it("allowed (default): the metadata lists the algorithms without requiring DPoP", async () => {
    const metadata = (await replicaA.inject({ url: "/.well-known/oauth-protected-resource" })).json();
    expect(metadata.dpop_signing_alg_values_supported).toEqual([
      "ES256",
      "EdDSA",
      "Ed25519",
      "PS256",
      "RS256",
    ]);
    expect(metadata).not.toHaveProperty("dpop_bound_access_tokens_required");
  });

  it("disabled: Bearer only, a bound token still refused, no DPoP in challenges or metadata", async () => {
    const app = await replica({ mode: "disabled" });
    for (const path of Object.values(PATHS)) {
      const dpop = await call(app, path, dpopHeaders(await proofFor(path)));
      expect([dpop.status, dpop.code, dpop.wwwAuthenticate]).toEqual([
        401,
        "invalid_header",
        `Bearer error="invalid_token", error_description="Authorization header must start with Bearer", ${METADATA}`,
      ]);
      const bound = await call(app, path, { authorization: `Bearer ${boundToken}` });
      expect([bound.status, bound.code]).toEqual([401, "invalid_dpop_proof"]);
      expect((await call(app, path, { authorization: `Bearer ${bearerToken}` })).status).toBe(200);
    }
    const metadata = (await app.inject({ url: "/.well-known/oauth-protected-resource" })).json();
    expect(metadata).not.toHaveProperty("dpop_signing_alg_values_supported");
  });
});

describe("server nonces (AUTH_DPOP_NONCE)", () => {
  it("answers use_dpop_nonce with a DPoP-Nonce header, then accepts a proof carrying it", async () => {
    const app = await replica({ nonces: createDpopNonces({ periodSeconds: 60 }) });
    for (const path of Object.values(PATHS)) {
      const first = await call(app, path, dpopHeaders(await proofFor(path)));
      expect([first.status, first.code, first.wwwAuthenticate]).toEqual([
        401,
        "use_dpop_nonce",
        `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", ${ALGS}, ${METADATA}, Bearer ${METADATA}`,
      ]);
      const nonce = first.headers["dpop-nonce"] as string;
      expect(nonce).toMatch(/^[0-9a-z]+\.[\w-]{43}$/);
      expect((await call(app, path, dpopHeaders(await proofFor(path, { nonce })))).status).toBe(200);
    }
  });
});

describe("the replay store's outage", () => {
  it("refuses DPoP requests with 503 and Retry-After while Redis is down; Bearer still works", async () => {
    const own = await startTestRedis();
    const store = await createRedisReplayStore({ url: own.url });
    toClose.push(store);
    const app = await replica({ replayStore: store });
    await own.stop();
    for (const path of Object.values(PATHS)) {
      const outcome = await call(app, path, dpopHeaders(await proofFor(path)));
      expect([outcome.status, outcome.code, outcome.headers["retry-after"], outcome.wwwAuthenticate]).toEqual(
        [503, "dpop_replay_store_unavailable", "1", undefined],
      );
      expect((await call(app, path, { authorization: `Bearer ${bearerToken}` })).status).toBe(200);
    }
  });
});

describe("the OpenAPI document", () => {
  it("describes DPoP's refusals as the API sends them", async () => {
    const document = (await replicaA.inject({ url: "/api/openapi.json" })).json() as {
      paths: Record<
        string,
        { get: { responses: Record<string, { content: Record<string, { schema: object }> }> } }
      >;
    };
    const responses = document.paths["/api/private"]?.get.responses ?? {};
    const ajv = new Ajv2020({ strict: false });
    const refused = await call(replicaA, PATHS.REST, { authorization: `Bearer ${boundToken}` });
    const validate401 = ajv.compile(responses["401"]?.content["application/json"]?.schema ?? {});
    expect(validate401({ code: refused.code, description: refused.description })).toBe(true);
    const validate503 = ajv.compile(responses["503"]?.content["application/json"]?.schema ?? {});
    expect(validate503({ code: "dpop_replay_store_unavailable", description: "x" })).toBe(true);
    expect(validate401({ code: "made_up", description: "x" })).toBe(false);
  });
});

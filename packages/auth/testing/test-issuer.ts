/**
 * A real HTTP issuer for tests: discovery and JWKS on 127.0.0.1, keys made with jose, and knobs
 * to slow it down, take it down, and rotate its key. Not a mock: the verifier fetches from it over
 * the network exactly as it would from a real identity provider.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import {
  exportJWK,
  type GenerateKeyPairResult,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";

export interface SigningKey {
  kid: string;
  privateKey: GenerateKeyPairResult["privateKey"];
  publicJwk: JWK;
}

export interface SignOptions {
  /** Overrides the current key's kid in the header; `null` leaves kid out. */
  kid?: string | null;
  key?: SigningKey;
  alg?: string;
  typ?: string;
  header?: Record<string, unknown>;
}

/** The one client the test issuer's token endpoint knows (client credentials grant). */
export const TEST_MACHINE_CLIENT = { clientId: "test-machine", clientSecret: "test-machine-secret" };

export interface TestIssuerOptions {
  audience?: string;
  port?: number;
  /** Serve HTTPS with this key and certificate (see createTestCertificates). */
  tls?: { key: string; cert: string };
  /**
   * The origin the issuer names itself with, in discovery and tokens, instead of the one it listens
   * on: a container's issuer, which browsers reach at another host than the API does.
   */
  publicOrigin?: string;
  /**
   * The issuer's path, `/` by default: `/oauth2/default` (Okta), `/realms/quickstart` (Keycloak),
   * or Entra ID's multi-tenant template `/{tenantid}/v2.0`, whose discovery is served with
   * `common` for the tenant and names the template itself as its issuer.
   */
  path?: string;
}

export interface TestIssuer {
  /** `http://127.0.0.1:<port>/` (`https:` with the `tls` option; see also `publicOrigin` and `path`) */
  readonly issuer: string;
  /** Where it listens: `http://127.0.0.1:<port>` (no trailing slash), whatever it names itself. */
  readonly listeningOrigin: string;
  /** The issuer of one tenant: a `{tenantid}` template filled with `tenant` (else the issuer itself). */
  issuerFor(tenant: string): string;
  readonly audience: string;
  /** `{ issuer, audience }`: what a verifier needs to accept this issuer's tokens. */
  readonly verifierConfig: { issuer: string; audience: string };
  readonly jwksUri: string;
  /** Requests received so far (counted on arrival, before any delay), by document. */
  readonly requests: { discovery: number; jwks: number };
  /** The key tokens are signed with. */
  readonly currentKey: SigningKey;
  /** Signs an access token with the current key; claims default to a valid one-hour token. */
  sign(claims?: JWTPayload, options?: SignOptions): Promise<string>;
  /** Publishes a new key and signs with it from now on; the old one stays published unless `retireOld`. */
  rotate(options?: { retireOld?: boolean }): Promise<SigningKey>;
  /** Stops publishing a key, as after a compromise; tokens may still be signed with it. */
  revoke(key: SigningKey): void;
  /** Every response waits this long first. */
  delayMs: number;
  /** While true, discovery and JWKS answer 503. */
  failing: boolean;
  /** While false, discovery answers 404 (so the verifier falls back to /.well-known/jwks.json). */
  discovery: boolean;
  close(): Promise<void>;
}

let kidCounter = 0;

/** A key pair with a unique kid; one made outside an issuer is published nowhere (to forge tokens). */
export async function createSigningKey(alg = "RS256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  kidCounter += 1;
  const kid = `test-key-${kidCounter}-${Math.random().toString(36).slice(2, 8)}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/**
 * Starts the issuer on 127.0.0.1: discovery, JWKS, and a token endpoint (`POST /token`,
 * client credentials as {@link TEST_MACHINE_CLIENT}, form-encoded) that signs with the current key.
 */
export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const audience = options.audience ?? "https://quickstarts/api";
  let published: SigningKey[] = [await createSigningKey()];
  let current = published[0] as SigningKey;
  const requests = { discovery: 0, jwks: 0 };

  const path = options.path ?? "/";
  const discoveryPath = `${path.replaceAll("{tenantid}", "common").replace(/\/?$/, "/")}.well-known/openid-configuration`;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const document =
      req.url === discoveryPath ? "discovery" : req.url === "/.well-known/jwks.json" ? "jwks" : undefined;
    if (document) requests[document] += 1;
    const respond = () => {
      if (state.failing) {
        res.writeHead(503).end();
      } else if (document === "discovery" && state.discovery) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            issuer: state.issuer,
            jwks_uri: state.jwksUri,
            // Not served: named so documents built from discovery (the API's OpenAPI) have it.
            authorization_endpoint: `${origin}/authorize`,
            token_endpoint: `${origin}/token`,
          }),
        );
      } else if (req.url === "/token" && req.method === "POST") {
        void issueToken(req, res);
      } else if (document === "jwks") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ keys: published.map((key) => key.publicJwk) }));
      } else {
        res.writeHead(404).end();
      }
    };
    if (state.delayMs > 0) setTimeout(respond, state.delayMs);
    else respond();
  };
  const issueToken = async (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    const json = (status: number, value: object) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (form.get("grant_type") !== "client_credentials") {
      return json(400, { error: "unsupported_grant_type" });
    }
    if (
      form.get("client_id") !== TEST_MACHINE_CLIENT.clientId ||
      form.get("client_secret") !== TEST_MACHINE_CLIENT.clientSecret
    ) {
      return json(401, { error: "invalid_client", error_description: "client authentication failed" });
    }
    const token = await state.sign({
      sub: TEST_MACHINE_CLIENT.clientId,
      aud: form.get("audience") ?? audience,
    });
    return json(200, { access_token: token, token_type: "Bearer", expires_in: 3600 });
  };
  const server: Server = options.tls ? createTlsServer(options.tls, handle) : createServer(handle);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const listeningOrigin = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;
  const origin = options.publicOrigin ?? listeningOrigin;
  const issuer = `${origin}${path}`;

  const state: TestIssuer = {
    issuer,
    audience,
    listeningOrigin,
    issuerFor: (tenant) => issuer.replaceAll("{tenantid}", tenant),
    verifierConfig: { issuer, audience },
    jwksUri: `${origin}/.well-known/jwks.json`,
    requests,
    delayMs: 0,
    failing: false,
    discovery: true,
    get currentKey() {
      return current;
    },
    async sign(claims = {}, signOptions = {}) {
      const key = signOptions.key ?? current;
      const kid = signOptions.kid === undefined ? key.kid : signOptions.kid;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        aud: audience,
        sub: "user-1",
        client_id: "test-client",
        iat: now,
        exp: now + 3600,
        jti: `jti-${now}-${Math.random()}`,
        scope: "openid read:messages",
        ...claims,
      })
        .setProtectedHeader({
          alg: signOptions.alg ?? "RS256",
          typ: signOptions.typ ?? "at+jwt",
          ...(kid === null ? {} : { kid }),
          ...signOptions.header,
        })
        .sign(key.privateKey);
    },
    async rotate({ retireOld = false } = {}) {
      const next = await createSigningKey();
      published = retireOld ? [next] : [...published, next];
      current = next;
      return next;
    },
    revoke(key) {
      published = published.filter((candidate) => candidate.kid !== key.kid);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return state;
}

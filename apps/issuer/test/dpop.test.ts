import { DEFAULT_DPOP_ALGORITHMS } from "@quickstart/auth";
import { createDpopKey, type DpopKey } from "@quickstart/auth/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIENCE, postToken, signIn, startEmbeddedIssuer, verifyAccessToken } from "./helpers";

let issuer: Awaited<ReturnType<typeof startEmbeddedIssuer>>;
let key: DpopKey;
beforeAll(async () => {
  issuer = await startEmbeddedIssuer();
  key = await createDpopKey("ES256");
});
afterAll(async () => {
  await issuer?.close();
});

const tokenEndpoint = () => `${issuer.url}oauth/token`;
const clientCredentials = () => ({
  grant_type: "client_credentials",
  client_id: issuer.machineClient.clientId,
  client_secret: issuer.machineClient.clientSecret,
  audience: AUDIENCE,
});

describe("DPoP-bound tokens (RFC 9449) from the embedded issuer", () => {
  it("client credentials with a proof: token_type DPoP and cnf.jkt = the key's thumbprint", async () => {
    const proof = await key.proof({ htm: "POST", htu: tokenEndpoint() });
    const response = await postToken(issuer, clientCredentials(), { dpop: proof });
    const body = (await response.json()) as Record<string, string>;
    expect(response.status).toBe(200);
    expect(body.token_type).toBe("DPoP");
    const { payload } = await verifyAccessToken(issuer, body.access_token as string);
    expect(payload.cnf).toEqual({ jkt: key.thumbprint });
  });

  it("client credentials without a proof: a Bearer token with no cnf", async () => {
    const response = await postToken(issuer, clientCredentials());
    const body = (await response.json()) as Record<string, string>;
    expect(body.token_type).toBe("Bearer");
    expect((await verifyAccessToken(issuer, body.access_token as string)).payload.cnf).toBeUndefined();
  });

  it("browser login: the code exchanged with a proof gives a bound access token and refresh token", async () => {
    const proof = await key.proof({ htm: "POST", htu: tokenEndpoint() });
    const { response, body } = await signIn(issuer, {
      username: "alice",
      password: "wonderland",
      extra: { audience: AUDIENCE },
      tokenHeaders: { dpop: proof },
    });
    expect(response.status).toBe(200);
    expect(body.token_type).toBe("DPoP");
    expect((await verifyAccessToken(issuer, body.access_token as string)).payload).toMatchObject({
      sub: "alice",
      cnf: { jkt: key.thumbprint },
    });

    // The SPA's refresh token is bound too (a public client): refreshing needs a proof by the same key.
    const refresh = {
      grant_type: "refresh_token",
      client_id: "quickstart-spa",
      refresh_token: body.refresh_token as string,
    };
    const withoutProof = await postToken(issuer, refresh);
    expect(withoutProof.status).toBe(400);
    const other = await createDpopKey("ES256");
    const withOtherKey = await postToken(issuer, refresh, {
      dpop: await other.proof({ htm: "POST", htu: tokenEndpoint() }),
    });
    expect(withOtherKey.status).toBe(400);
    const refreshed = await postToken(issuer, refresh, {
      dpop: await key.proof({ htm: "POST", htu: tokenEndpoint() }),
    });
    expect(refreshed.status).toBe(200);
    const refreshedBody = (await refreshed.json()) as Record<string, string>;
    expect((await verifyAccessToken(issuer, refreshedBody.access_token as string)).payload.cnf).toEqual({
      jkt: key.thumbprint,
    });
  });

  it("refuses a proof for another URL, a replayed proof, and alg none", async () => {
    const wrongHtu = await key.proof({ htm: "POST", htu: `${issuer.url}elsewhere` });
    expect((await postToken(issuer, clientCredentials(), { dpop: wrongHtu })).status).toBe(400);

    const proof = await key.proof({ htm: "POST", htu: tokenEndpoint() });
    expect((await postToken(issuer, clientCredentials(), { dpop: proof })).status).toBe(200);
    const replay = await postToken(issuer, clientCredentials(), { dpop: proof });
    expect(replay.status).toBe(400);
    // oidc-provider remembers each proof's jti and refuses the second use; a fresh proof still works.
    expect(((await replay.json()) as { error: string }).error).toBe("invalid_grant");
    const fresh = await key.proof({ htm: "POST", htu: tokenEndpoint() });
    expect((await postToken(issuer, clientCredentials(), { dpop: fresh })).status).toBe(200);

    const unsigned = await key.proof({ htm: "POST", htu: tokenEndpoint(), alg: "none" });
    expect((await postToken(issuer, clientCredentials(), { dpop: unsigned })).status).toBe(400);
  });

  it("announces in discovery the algorithms the API accepts by default", async () => {
    const discovery = (await (await fetch(`${issuer.url}.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery.dpop_signing_alg_values_supported).toEqual([...DEFAULT_DPOP_ALGORITHMS]);
  });
});

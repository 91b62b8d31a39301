/**
 * AUTH_CA_FILE against a real HTTPS issuer whose certificate a private CA signed, and what the key
 * fetch logs when the issuer cannot be reached.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaFileInvalid } from "../src/issuer-tls";
import { createAccessTokenVerifier } from "../src/verifier";
import {
  authOutcome,
  createTestCertificates,
  startTestIssuer,
  type TestCertificates,
  type TestIssuer,
} from "../testing";

let certificates: TestCertificates;
let issuer: TestIssuer;
beforeAll(async () => {
  certificates = await createTestCertificates();
  issuer = await startTestIssuer({ tls: certificates });
});
afterAll(async () => {
  await issuer?.close();
  await certificates?.remove();
});

function capturingLogger() {
  const warnings: Record<string, unknown>[] = [];
  return { warnings, logger: { info() {}, warn: (details: object) => warnings.push({ ...details }) } };
}

describe("AUTH_CA_FILE", () => {
  it("lets the verifier fetch the keys of an issuer signed by a private CA", async () => {
    expect(issuer.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const verifier = createAccessTokenVerifier({ ...issuer.verifierConfig, caFile: certificates.caFile });
    expect(await authOutcome(verifier.verify(await issuer.sign()))).toBe("accepted");
    verifier.close();
  });

  it("without it, answers 503 and logs the TLS cause and the fix, not `fetch failed`", async () => {
    const { warnings, logger } = capturingLogger();
    const verifier = createAccessTokenVerifier(issuer.verifierConfig, { logger });
    expect(await authOutcome(verifier.verify(await issuer.sign()))).toBe("jwks_unavailable");
    expect(warnings[0]).toMatchObject({
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      reason: expect.stringMatching(
        /^TLS: .+ \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); set AUTH_CA_FILE to your issuer's CA certificate$/,
      ),
    });
    expect(JSON.stringify(warnings)).not.toContain("fetch failed");
  });

  it("logs ECONNREFUSED for an issuer that is not listening, without the TLS advice", async () => {
    const stopped = await startTestIssuer();
    await stopped.close();
    const { warnings, logger } = capturingLogger();
    const verifier = createAccessTokenVerifier(stopped.verifierConfig, { logger });
    expect(await authOutcome(verifier.verify(await stopped.sign()))).toBe("jwks_unavailable");
    expect(warnings[0]).toMatchObject({ code: "ECONNREFUSED" });
    expect(String(warnings[0]?.reason)).not.toContain("AUTH_CA_FILE");
  });

  it("is an error naming the variable when missing or not PEM", async () => {
    const missing = join(certificates.dir, "missing.pem");
    const notPem = join(certificates.dir, "not.pem");
    await writeFile(notPem, "hello");
    expect(() => createAccessTokenVerifier({ ...issuer.verifierConfig, caFile: missing })).toThrow(
      new CaFileInvalid(`${missing} cannot be read (ENOENT)`),
    );
    expect(() => createAccessTokenVerifier({ ...issuer.verifierConfig, caFile: notPem })).toThrow(
      /^AUTH_CA_FILE .+ holds no PEM certificate/,
    );
  });
});

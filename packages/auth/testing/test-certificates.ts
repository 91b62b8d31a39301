/**
 * A private CA and a certificate it signed for 127.0.0.1, made with Debian's `openssl` in a temp
 * directory: what an issuer behind a company CA looks like to the verifier and the scripts.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestCertificates {
  /** The CA's certificate, PEM: what AUTH_CA_FILE points at. */
  caFile: string;
  /** The server's private key and certificate (signed by the CA, for IP 127.0.0.1), PEM. */
  key: string;
  cert: string;
  /** The temp directory holding the files. */
  dir: string;
  remove(): Promise<void>;
}

export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), "quickstart-tls-"));
  const file = (name: string) => join(dir, name);
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
  await run("openssl", [
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.pem"),
    "-subj",
    "/CN=Quickstart test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  await run("openssl", [
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    file("server.key"),
    "-out",
    file("server.pem"),
    "-subj",
    "/CN=127.0.0.1",
    "-CA",
    file("ca.pem"),
    "-CAkey",
    file("ca.key"),
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-addext",
    "basicConstraints=CA:FALSE",
  ]);
  return {
    caFile: file("ca.pem"),
    key: await readFile(file("server.key"), "utf8"),
    cert: await readFile(file("server.pem"), "utf8"),
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

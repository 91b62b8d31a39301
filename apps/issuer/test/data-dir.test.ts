import { chmod, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadOrCreateIntrospectionClient, loadOrCreateSecrets, readMachineClient } from "../src/data-dir";
import { tempDataDir } from "./helpers";

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe("the issuer's data directory", () => {
  it("creates keys and secrets once, readable by the owner only, and reuses them", async () => {
    const { dataDir, remove } = await tempDataDir();
    cleanup = remove;
    const first = await loadOrCreateSecrets(join(dataDir, "issuer"));
    const files = (await readdir(join(dataDir, "issuer"))).sort();
    expect(files).toEqual(["cookie-keys.json", "machine-client.json", "signing-keys.json"]);
    for (const file of files) expect((await stat(join(dataDir, "issuer", file))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, "issuer"))).mode & 0o777).toBe(0o700);

    const [key] = first.signingKeys.keys;
    expect(key).toMatchObject({
      kty: "RSA",
      alg: "RS256",
      use: "sig",
      d: expect.any(String),
    });
    expect(Buffer.from(key?.n ?? "", "base64url").length).toBe(256); // 2048 bits
    expect(first.machineClient.clientId).toBe("quickstart-m2m");
    expect(first.machineClient.clientSecret.length).toBeGreaterThanOrEqual(32);

    const second = await loadOrCreateSecrets(join(dataDir, "issuer"));
    expect(second).toEqual(first);
    expect(await readMachineClient(join(dataDir, "issuer"))).toEqual(first.machineClient);
  });

  it("tightens a file with looser permissions, and says which file it cannot read", async () => {
    const { dataDir, remove } = await tempDataDir();
    cleanup = remove;
    await loadOrCreateSecrets(dataDir);
    await chmod(join(dataDir, "cookie-keys.json"), 0o644);
    await loadOrCreateSecrets(dataDir);
    expect((await stat(join(dataDir, "cookie-keys.json"))).mode & 0o777).toBe(0o600);

    await writeFile(join(dataDir, "signing-keys.json"), "not json");
    await expect(loadOrCreateSecrets(dataDir)).rejects.toThrow(/signing-keys\.json.*delete it/);
  });

  it("keeps the introspection client's secret like the machine client's, made only when asked for", async () => {
    const { dataDir, remove } = await tempDataDir();
    cleanup = remove;
    await loadOrCreateSecrets(dataDir);
    expect(await readdir(dataDir)).not.toContain("introspection-client.json");
    const first = await loadOrCreateIntrospectionClient(dataDir);
    expect(first.clientId).toBe("quickstart-api");
    expect(first.clientSecret.length).toBeGreaterThanOrEqual(32);
    expect((await stat(join(dataDir, "introspection-client.json"))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateIntrospectionClient(dataDir)).toEqual(first);
  });

  it("has no machine client before the first start", async () => {
    const { dataDir, remove } = await tempDataDir();
    cleanup = remove;
    expect(await readMachineClient(dataDir)).toBeUndefined();
  });
});

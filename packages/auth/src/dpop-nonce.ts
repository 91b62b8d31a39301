import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Server-issued DPoP nonces (RFC 9449 §9), stateless so that every replica accepts every other's. */
export interface DpopNonces {
  /** The nonce to hand out now, in the `DPoP-Nonce` header. */
  current(): string;
  /** Whether a proof's `nonce` was handed out by a replica sharing the secret, in this period or the last. */
  isValid(nonce: unknown): boolean;
}

/**
 * Nonces that change every `periodSeconds`: `<period>.<HMAC-SHA256(secret, period)>`, so a proof
 * made more than two periods ago cannot be accepted whatever its `iat` says. Replicas behind one
 * load balancer must share `secret`; without one, each process makes its own.
 *
 * @example
 * const nonces = createDpopNonces({ periodSeconds: 60 });
 * nonces.isValid(nonces.current()); // => true
 */
export function createDpopNonces({
  secret = randomBytes(32),
  periodSeconds,
}: {
  secret?: string | Buffer;
  periodSeconds: number;
}): DpopNonces {
  const periodOf = (ms: number) => Math.floor(ms / 1000 / periodSeconds);
  const mac = (period: number) => createHmac("sha256", secret).update(String(period)).digest();
  const nonceFor = (period: number) => `${period.toString(36)}.${mac(period).toString("base64url")}`;

  return {
    current: () => nonceFor(periodOf(Date.now())),
    isValid(nonce) {
      if (typeof nonce !== "string" || nonce.length > 128) return false;
      const [periodText, macText] = nonce.split(".");
      if (periodText === undefined || macText === undefined || !/^[0-9a-z]{1,12}$/.test(periodText)) {
        return false;
      }
      const period = Number.parseInt(periodText, 36);
      const now = periodOf(Date.now());
      if (period !== now && period !== now - 1) return false;
      const given = Buffer.from(macText, "base64url");
      const expected = mac(period);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from "node:crypto";

/** Keys derived from one secret key with HKDF-SHA-256, one per purpose, never the secret itself. */
export type Keys = {
  /** HMAC key for activation codes and tokens stored as keyed hashes. */
  codeHashing: Buffer;
  /** AES-256-GCM key for secrets kept at rest (queued email bodies, TOTP secrets). */
  encryption: Buffer;
};

const derive = (secretKey: string, info: string, bytes = 32) =>
  Buffer.from(hkdfSync("sha256", secretKey, "users-service/v1", info, bytes));

export function deriveKeys(secretKey: string): Keys {
  return { codeHashing: derive(secretKey, "code-hashing"), encryption: derive(secretKey, "encryption") };
}

/**
 * A short public name of a secret key (12 base64url characters, 72 bits of HKDF output):
 * stored beside sealed values to say which key opens them. It tells nothing of the key.
 */
export function keyIdOf(secretKey: string): string {
  return derive(secretKey, "key-id", 9).toString("base64url");
}

/** A 6-digit code from a CSPRNG, uniformly distributed, zero-padded. */
export function generateSixDigitCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

/** A random identifier (hex) for a code or a message. */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString("hex");
}

/** Keyed hash (HMAC-SHA-256, base64url) of a code or token: what we store instead of it. */
export function hashCode(key: Buffer, value: string): string {
  return createHmac("sha256", key).update(value).digest("base64url");
}

/** Constant-time comparison of two keyed hashes. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const b64 = (part: Buffer) => part.toString("base64url");

/**
 * AES-256-GCM under `key`: `<header>.<iv>.<tag>.<ciphertext>` (base64url parts), the header
 * authenticated as associated data. The header is `v1` (no key id: what versions without
 * key rotation wrote) unless `keyId` is given: `v2.<keyId>`.
 */
export function encrypt(key: Buffer, plaintext: string, keyId?: string): string {
  const header = keyId === undefined ? "v1" : `v2.${keyId}`;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (keyId !== undefined) cipher.setAAD(Buffer.from(header));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [header, b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join(".");
}

type SealedParts = { keyId: string | null; header: string; iv: string; tag: string; ciphertext: string };

/** A sealed value's parts (`v1.<iv>.<tag>.<ct>` or `v2.<key id>.<iv>.<tag>.<ct>`); null when it is not one. */
export function parseSealed(sealed: string): SealedParts | null {
  const parts = sealed.split(".");
  if (parts[0] === "v1" && parts.length === 4) {
    const [, iv = "", tag = "", ciphertext = ""] = parts;
    return iv && tag ? { keyId: null, header: "v1", iv, tag, ciphertext } : null;
  }
  if (parts[0] === "v2" && parts.length === 5) {
    const [, keyId = "", iv = "", tag = "", ciphertext = ""] = parts;
    return keyId && iv && tag ? { keyId, header: `v2.${keyId}`, iv, tag, ciphertext } : null;
  }
  return null;
}

/** Reverses `encrypt`; throws when the value was tampered with or made with another key. */
export function decrypt(key: Buffer, sealed: string): string {
  const parsed = parseSealed(sealed);
  if (!parsed) throw new Error("malformed encrypted value");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(parsed.iv, "base64url"));
  if (parsed.keyId !== null) decipher.setAAD(Buffer.from(parsed.header));
  decipher.setAuthTag(Buffer.from(parsed.tag, "base64url"));
  return Buffer.concat([
    decipher.update(Buffer.from(parsed.ciphertext, "base64url")),
    decipher.final(),
  ]).toString("utf8");
}

import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from "node:crypto";

/** Keys derived from SECRET_KEY with HKDF-SHA-256, one per purpose, never the secret itself. */
export type Keys = {
  /** HMAC key for activation codes and tokens stored as keyed hashes. */
  codeHashing: Buffer;
  /** AES-256-GCM key for secrets kept at rest (queued email bodies, TOTP secrets). */
  encryption: Buffer;
};

export function deriveKeys(secretKey: string): Keys {
  const derive = (info: string) => Buffer.from(hkdfSync("sha256", secretKey, "users-service/v1", info, 32));
  return { codeHashing: derive("code-hashing"), encryption: derive("encryption") };
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

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>` (base64url parts). */
export function encrypt(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

/** Reverses `encrypt`; throws when the value was tampered with or made with another key. */
export function decrypt(key: Buffer, sealed: string): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || ciphertext === undefined)
    throw new Error("malformed encrypted value");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString(
    "utf8",
  );
}

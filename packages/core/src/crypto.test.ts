import { describe, expect, it } from "vitest";
import { decrypt, deriveKeys, encrypt, generateSixDigitCode, hashCode, hashesEqual } from "./crypto";

describe("crypto helpers", () => {
  const keys = deriveKeys("a-secret-key-of-at-least-32-characters!!");

  it("derives distinct keys per purpose and per secret", () => {
    expect(keys.codeHashing.equals(keys.encryption)).toBe(false);
    expect(deriveKeys("another-secret-key-of-32-characters-long").codeHashing.equals(keys.codeHashing)).toBe(
      false,
    );
  });

  it("makes 6-digit codes that cover the whole range", () => {
    const codes = Array.from({ length: 2_000 }, generateSixDigitCode);
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
    expect(new Set(codes).size).toBeGreaterThan(1_990);
    expect(codes.some((c) => c.startsWith("0"))).toBe(true);
  });

  it("hashes codes with the key, so equal codes under other keys do not match", () => {
    const other = deriveKeys("another-secret-key-of-32-characters-long");
    expect(hashesEqual(hashCode(keys.codeHashing, "123456"), hashCode(keys.codeHashing, "123456"))).toBe(
      true,
    );
    expect(hashesEqual(hashCode(keys.codeHashing, "123456"), hashCode(other.codeHashing, "123456"))).toBe(
      false,
    );
    expect(hashesEqual(hashCode(keys.codeHashing, "123456"), hashCode(keys.codeHashing, "123457"))).toBe(
      false,
    );
  });

  it("encrypts with a fresh IV and refuses tampered ciphertext", () => {
    const a = encrypt(keys.encryption, "Your code is 123456");
    expect(a).not.toContain("123456");
    expect(a).not.toBe(encrypt(keys.encryption, "Your code is 123456"));
    expect(decrypt(keys.encryption, a)).toBe("Your code is 123456");
    const parts = a.split(".");
    const ciphertext = Buffer.from(parts[3] ?? "", "base64url");
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
    const flipped = [...parts.slice(0, 3), ciphertext.toString("base64url")].join(".");
    expect(() => decrypt(keys.encryption, flipped)).toThrow();
  });
});

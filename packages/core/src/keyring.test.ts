import { describe, expect, it } from "vitest";
import { decrypt, deriveKeys, encrypt, hashCode, keyIdOf } from "./crypto";
import { createKeyring } from "./keyring";

const secretA = "a-secret-key-of-at-least-32-characters!!";
const secretB = "b-secret-key-of-at-least-32-characters!!";
const secretC = "c-secret-key-of-at-least-32-characters!!";

describe("keyring", () => {
  const a = createKeyring({ current: secretA });
  const rotated = createKeyring({ current: secretB, previous: [secretA] });

  it("names each key by a short fingerprint that is not the key", () => {
    expect(a.current.id).toBe(keyIdOf(secretA));
    expect(a.current.id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(rotated.current.id).not.toBe(a.current.id);
    expect(secretA).not.toContain(a.current.id);
    expect(rotated.keys.map((k) => k.id)).toEqual([keyIdOf(secretB), keyIdOf(secretA)]);
    // Listing a key twice changes nothing.
    expect(createKeyring({ current: secretB, previous: [secretA, secretB, secretA] }).keys).toHaveLength(2);
  });

  it("seals with the current key and records its id; opens with it", () => {
    const sealed = a.seal("JBSWY3DPEHPK3PXP");
    expect(sealed.startsWith(`v2.${a.current.id}.`)).toBe(true);
    expect(sealed).not.toContain("JBSWY3DPEHPK3PXP");
    expect(a.isCurrent(sealed)).toBe(true);
    expect(a.open(sealed)).toMatchObject({ plaintext: "JBSWY3DPEHPK3PXP", stale: false, key: a.current });
  });

  it("after a rotation, opens what the previous key sealed and says it is stale", () => {
    const old = a.seal("secret");
    expect(rotated.isCurrent(old)).toBe(false);
    const opened = rotated.open(old);
    expect(opened).toMatchObject({ plaintext: "secret", stale: true });
    expect(opened.key.id).toBe(a.current.id);
    expect(rotated.open(rotated.seal("secret"))).toMatchObject({ plaintext: "secret", stale: false });
  });

  it("opens v1 values (no key id) with whichever configured key made them, as stale", () => {
    const underA = encrypt(deriveKeys(secretA).encryption, "old format");
    const underB = encrypt(deriveKeys(secretB).encryption, "old format, current key");
    expect(rotated.open(underA)).toMatchObject({ plaintext: "old format", stale: true });
    expect(rotated.open(underA).key.id).toBe(a.current.id);
    expect(rotated.open(underB)).toMatchObject({ plaintext: "old format, current key", stale: true });
    expect(rotated.isCurrent(underB)).toBe(false);
  });

  it("refuses values sealed with a key it does not hold, or tampered with", () => {
    const c = createKeyring({ current: secretC });
    expect(() => rotated.open(c.seal("x"))).toThrow(/not configured/);
    expect(() => rotated.open(encrypt(deriveKeys(secretC).encryption, "x"))).toThrow(/not configured/);
    expect(() => createKeyring({ current: secretB }).open(a.seal("x"))).toThrow(/not configured/);
    expect(() => rotated.open("v2.garbage")).toThrow(/malformed/);
    // The header is authenticated: relabelling a value with another key's id fails.
    const relabelled = a.seal("x").replace(a.current.id, rotated.current.id);
    expect(() => rotated.open(relabelled)).toThrow();
    const parts = rotated.seal("Your code is 123456").split(".");
    const ciphertext = Buffer.from(parts[4] ?? "", "base64url");
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
    expect(() => rotated.open([...parts.slice(0, 4), ciphertext.toString("base64url")].join("."))).toThrow();
  });

  it("hashes with the current key and matches hashes made under any configured key", () => {
    const old = a.hash("123456");
    expect(old).toBe(hashCode(deriveKeys(secretA).codeHashing, "123456"));
    expect(rotated.hash("123456")).not.toBe(old);
    expect(rotated.hashes("123456")).toEqual([rotated.hash("123456"), old]);
    expect(rotated.matches("123456", old)).toBe(true);
    expect(rotated.matches("123456", rotated.hash("123456"))).toBe(true);
    expect(rotated.matches("123457", old)).toBe(false);
    expect(createKeyring({ current: secretB }).matches("123456", old)).toBe(false);
  });

  it("exposes the current key's derived keys, for code written before the keyring", () => {
    expect(rotated.codeHashing.equals(deriveKeys(secretB).codeHashing)).toBe(true);
    expect(decrypt(rotated.encryption, rotated.seal("x"))).toBe("x");
  });
});

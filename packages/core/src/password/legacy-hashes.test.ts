import { pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { stopBcryptWorker } from "./bcrypt-worker";
import { describeHash, isLegacyHash, verifyLegacyHash } from "./legacy-hashes";
import { createPasswordHasher } from "./password-hasher";

/*
 * Fixed vectors made by the real libraries from PyPI (a throwaway venv, nothing of it kept):
 * Werkzeug 3.1.3 `generate_password_hash(password)` (its default scrypt form) and with
 * `method="pbkdf2:sha256"` (3.x: 1,000,000 iterations), `"pbkdf2:sha256:260000"` (what
 * Werkzeug 2.x made) and `"pbkdf2:sha1:150000"`; each checked with `check_password_hash`.
 * bcrypt 5.0.0 `hashpw(password, gensalt(10))`; Django 5.2 `make_password(password)` with
 * PBKDF2PasswordHasher; argon2-cffi 25.1 `PasswordHasher().hash(password)`.
 */
const vectorPassword = "Tr0ub4dor&3 ünïcode";
const vectors = {
  werkzeugScrypt:
    "scrypt:32768:8:1$TmJhN7nIWu9adNnL$c6b6a1fe447f098e4d426477a4373351f8bb7e8dc39fa71eeef2a3c1b484a527a7386216f26c4f4feda193e92ceb93d386308a70d3fab31afcc9a4cd80beb77d",
  werkzeugPbkdf2Sha256:
    "pbkdf2:sha256:1000000$mDkWWL1yfNKb8sna$3e0cfe6f98f3686bb255c8b0bba32645ac49ae9373dad6b7a207caed5dbcf677",
  werkzeug2Pbkdf2Sha256:
    "pbkdf2:sha256:260000$Hu891qnmjmdkUt50$b5e91167efe0be14ff67f6df112abf979deb698c017a64ea366c57be511c567a",
  werkzeugPbkdf2Sha1: "pbkdf2:sha1:150000$Xpc1PfEzN3QW7bDD$37d989d3a00ffa205530ac66874b7c70969b6ab7",
  bcrypt: "$2b$10$vERvxNo8gpzbpLcQj6JiHOK4RBolFwSFNSL4GnYZLy8VDdfBaGnAy",
  django: "pbkdf2_sha256$1000000$0UkgEkxJBISmC9NYMesYIy$Tu15IZ8bf87YLbs67bv6PnNwbhF81Dcm+JthOx6gbiM=",
  argon2id:
    "$argon2id$v=19$m=65536,t=3,p=4$XKRwfw77XY//IJtkS1OCOA$Vhs5nj8SfLk78yDJFVqNlyprt5twp/D3Ez3IWkLhiJg",
} as const;

const salt = () => randomBytes(12).toString("base64url").slice(0, 16);

/** The way werkzeug.security makes them: the salt is used as UTF-8 text, the key as hex. */
const werkzeugScrypt = (password: string, n = 16_384, r = 8, p = 1) => {
  const s = salt();
  const key = scryptSync(password, s, 64, { N: n, r, p, maxmem: 256 * n * r * p });
  return `scrypt:${n}:${r}:${p}$${s}$${key.toString("hex")}`;
};
const werkzeugPbkdf2 = (password: string, digest: "sha256" | "sha1", iterations = 1_000) => {
  const s = salt();
  const key = pbkdf2Sync(password, s, iterations, digest === "sha1" ? 20 : 32, digest);
  return `pbkdf2:${digest}:${iterations}$${s}$${key.toString("hex")}`;
};
const django = (password: string, iterations = 1_000) => {
  const s = salt();
  return `pbkdf2_sha256$${iterations}$${s}$${pbkdf2Sync(password, s, iterations, 32, "sha256").toString("base64")}`;
};

describe("legacy password hashes", () => {
  const password = "correct horse battery staple";

  it.each([
    ["Werkzeug scrypt", () => werkzeugScrypt(password)],
    ["Werkzeug pbkdf2:sha256", () => werkzeugPbkdf2(password, "sha256")],
    ["Werkzeug pbkdf2:sha1", () => werkzeugPbkdf2(password, "sha1")],
    ["Django pbkdf2_sha256", () => django(password)],
    ["bcrypt $2b$", () => bcrypt.hashSync(password, 4)],
    ["bcrypt $2a$", () => bcrypt.hashSync(password, 4).replace(/^\$2b\$/, "$2a$")],
    ["bcrypt $2y$", () => bcrypt.hashSync(password, 4).replace(/^\$2b\$/, "$2y$")],
  ])("%s: the right password verifies, a wrong one does not", async (_name, make) => {
    const hash = make();
    expect(describeHash(hash).ok).toBe(true);
    expect(isLegacyHash(hash)).toBe(true);
    await expect(verifyLegacyHash(hash, password)).resolves.toBe(true);
    await expect(verifyLegacyHash(hash, `${password}!`)).resolves.toBe(false);
    await expect(verifyLegacyHash(hash, "")).resolves.toBe(false);
  });

  it.each(Object.entries(vectors))("vector made by the real library (%s) verifies", async (name, hash) => {
    expect(describeHash(hash)).toMatchObject({ ok: true });
    const hasher = createPasswordHasher();
    await expect(hasher.verify(hash, vectorPassword)).resolves.toBe(true);
    await expect(hasher.verify(hash, "Tr0ub4dor&3 unicode")).resolves.toBe(false);
    // Every hash not made by us (and an argon2 one with other parameters) needs a rehash.
    expect(hasher.needsRehash(hash)).toBe(true);
    expect(name.length).toBeGreaterThan(0);
  });

  it("names the format of each supported hash", () => {
    expect(describeHash(vectors.werkzeugScrypt)).toEqual({ ok: true, format: "werkzeug-scrypt" });
    expect(describeHash(vectors.werkzeugPbkdf2Sha1)).toEqual({ ok: true, format: "werkzeug-pbkdf2" });
    expect(describeHash(vectors.django)).toEqual({ ok: true, format: "django-pbkdf2" });
    expect(describeHash(vectors.bcrypt)).toEqual({ ok: true, format: "bcrypt" });
    expect(describeHash(vectors.argon2id)).toEqual({ ok: true, format: "argon2" });
  });

  it.each([
    ["unknown scheme", "md5$abc$def", /unknown hash format/],
    ["plain text", "hunter2", /unknown hash format/],
    ["empty", "", /unknown hash format/],
    ["Werkzeug without key", "scrypt:32768:8:1$salt", /method\$salt\$hex/],
    [
      "Werkzeug uppercase hex",
      vectors.werkzeugPbkdf2Sha1.toUpperCase().replace("PBKDF2:SHA1", "pbkdf2:sha1"),
      /hex/,
    ],
    ["Werkzeug short key", vectors.werkzeugPbkdf2Sha1.slice(0, -2), /20 bytes/],
    ["Werkzeug unknown digest", "pbkdf2:md5:1000$salt$abcd", /sha256\|sha1/],
    ["Werkzeug default iterations", "pbkdf2:sha256$salt$abcd", /ITERATIONS/],
    [
      "scrypt N not a power of 2",
      werkzeugScrypt(password).replace("scrypt:16384:", "scrypt:16383:"),
      /bounds/,
    ],
    ["scrypt N too large", werkzeugScrypt(password).replace("scrypt:16384:", "scrypt:1048576:"), /bounds/],
    ["pbkdf2 iterations too many", `pbkdf2:sha256:99999999$s$${"a".repeat(64)}`, /iterations/],
    ["pbkdf2 zero iterations", `pbkdf2:sha256:0$s$${"a".repeat(64)}`, /iterations/],
    ["Django wrong key length", "pbkdf2_sha256$1000$salt$AAAA", /32 bytes/],
    ["Django extra field", `${vectors.django}$x`, /Django hash/],
    ["bcrypt cost too high", vectors.bcrypt.replace("$10$", "$20$"), /cost/],
    ["bcrypt truncated", vectors.bcrypt.slice(0, -1), /53 characters/],
    ["bcrypt $2x$", vectors.bcrypt.replace("$2b$", "$2x$"), /bcrypt hash/],
    ["argon2 huge memory", vectors.argon2id.replace("m=65536", "m=4194304"), /bounds/],
    ["argon2 garbage", "$argon2id$nonsense", /PHC/],
  ])(
    "%s is not a supported hash (with the reason), and verifies as false without throwing",
    async (_name, hash, reason) => {
      const described = describeHash(hash);
      expect(described.ok).toBe(false);
      if (!described.ok) expect(described.reason).toMatch(reason);
      await expect(verifyLegacyHash(hash, password)).resolves.toBe(false);
      // argon2 strings stay argon2's to verify, exactly as before (the import refuses these).
      if (isLegacyHash(hash))
        await expect(createPasswordHasher().verify(hash, password)).resolves.toBe(false);
    },
  );

  it("keeps argon2 hashes of the current parameters as they are", async () => {
    const hasher = createPasswordHasher();
    const ours = await hasher.hash(password);
    expect(isLegacyHash(ours)).toBe(false);
    expect(hasher.needsRehash(ours)).toBe(false);
    // The legacy path never claims an argon2 hash: that is argon2's to verify.
    await expect(verifyLegacyHash(ours, password)).resolves.toBe(false);
    await expect(hasher.verify(ours, password)).resolves.toBe(true);
  });

  it("verifies legacy hashes on the same bounded queue (SERVICE_BUSY when it is full)", async () => {
    const small = createPasswordHasher(undefined, { maxConcurrent: 1, maxWaiting: 1 });
    const hash = werkzeugScrypt(password);
    const running = small.verify(hash, password);
    const waiting = small.verify(hash, password);
    await expect(small.verify(hash, password)).rejects.toMatchObject({ code: "SERVICE_BUSY" });
    await expect(Promise.all([running, waiting])).resolves.toEqual([true, true]);
  });

  it("answers SERVICE_BUSY, never a mismatch, when the bcrypt worker dies during a check; the next check starts another", async () => {
    const hasher = createPasswordHasher();
    const slow = bcrypt.hashSync(password, 12); // ~0.3 s: still running when the worker stops
    const checking = hasher.verify(slow, password);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = stopBcryptWorker();
    // Started on a new worker while the old one is still stopping: its end fails none of these.
    const next = hasher.verify(vectors.bcrypt, vectorPassword);
    await stopping;
    await expect(checking).rejects.toMatchObject({ code: "SERVICE_BUSY" });
    await expect(next).resolves.toBe(true);
    await expect(hasher.verify(vectors.bcrypt, "Wrong-password-1")).resolves.toBe(false);
  });
});

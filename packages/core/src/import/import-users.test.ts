import { pbkdf2Sync } from "node:crypto";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import {
  createFakes,
  domainErrorOf,
  loginAttemptsFor,
  secondFactorFor,
  seedUser,
  storedUser,
  successionFor,
  totpIn,
} from "../../test/fakes";
import { createCheckCredentials } from "../login/check-credentials";
import { createPasswordHasher } from "../password/password-hasher";
import { createImportUsers } from "./import-users";
import { importUsersInputSchema, maxImportBatch } from "./schemas";

const password = "correct horse battery staple";
const djangoHash = (secret: string, salt = "abcdefgh12345678", iterations = 1_000) =>
  `pbkdf2_sha256$${iterations}$${salt}$${pbkdf2Sync(secret, salt, iterations, 32, "sha256").toString("base64")}`;
const row = (n: number, fields: Record<string, unknown> = {}) => ({
  username: `imported${n}`,
  email: `imported${n}@example.com`,
  first_name: "Imported",
  last_name: `User${n}`,
  gender: "Unspecified",
  password_hash: djangoHash(password),
  ...fields,
});

function setup() {
  const f = createFakes();
  const importUsers = createImportUsers({ events: f.events, users: f.users, keys: f.keys });
  return { f, importUsers };
}

describe("importUsers", () => {
  it("creates each valid row with its hash as it is, its id when given, and sends no email", async () => {
    const { f, importUsers } = setup();
    const id = "63a1f1234abc5678def12345";
    const result = await importUsers({
      users: [row(1, { id: id.toUpperCase(), role: "admin", is_active: false }), row(2)],
    });
    expect(result).toMatchObject({ created: 2, skipped: 0, invalid: 0 });
    expect(result.results[0]).toEqual({ index: 0, id, status: "created" });
    const first = await storedUser(f, id);
    expect(first).toMatchObject({
      username: "imported1",
      role: "admin",
      is_active: false,
      password_hash: djangoHash(password),
      mfa_enabled: false,
      activation: null,
    });
    const second = await storedUser(f, String(result.results[1]?.id));
    expect(second).toMatchObject({ role: "user", is_active: true });
    expect(f.store.messages()).toEqual([]);
    expect(f.events.recorded).toEqual([
      { type: "user.imported", userId: id },
      { type: "user.imported", userId: second.id },
    ]);
  });

  it("skips a row whose id, username or email is taken, ignoring case (also by an earlier row)", async () => {
    const { f, importUsers } = setup();
    const { user } = await seedUser(f, { username: "Taken", email: "taken@example.com" });
    const result = await importUsers({
      users: [
        row(1, { id: user.id }),
        row(2, { username: "TAKEN" }),
        row(3, { email: "Taken@Example.com" }),
        row(4),
        row(5, { username: "IMPORTED4" }),
      ],
    });
    expect(result).toMatchObject({ created: 1, skipped: 4, invalid: 0 });
    expect(result.results.map((r) => [r.status, r.reason?.split(":")[0]])).toEqual([
      ["skipped", "id"],
      ["skipped", "username"],
      ["skipped", "email"],
      ["created", undefined],
      ["skipped", "username"],
    ]);
    expect((await storedUser(f, user.id)).username).toBe("Taken");
  });

  it("reports invalid rows with the reason and still imports the others", async () => {
    const { importUsers } = setup();
    const result = await importUsers({
      users: [
        row(1, { password_hash: "md5$abc$def" }),
        row(2, { gender: "Robot" }),
        row(3, { email: "not-an-email" }),
        "not an object",
        row(4, { extra: true }),
        row(5, { mfa_secret: "not base32!" }),
        row(6, { password_hash: undefined }),
        row(7),
      ],
    });
    expect(result).toMatchObject({ created: 1, skipped: 0, invalid: 7 });
    const reasons = result.results.map((r) => r.reason ?? "");
    expect(reasons[0]).toMatch(/^password_hash: unknown hash format/);
    expect(reasons[1]).toMatch(/^gender:/);
    expect(reasons[2]).toMatch(/^email: must be a valid email address/);
    expect(reasons[3]).toMatch(/object/);
    expect(reasons[4]).toMatch(/extra/);
    expect(reasons[5]).toMatch(/^mfa_secret: must be base32/);
    expect(reasons[6]).toMatch(/^password_hash:/);
    expect(result.results[7]).toMatchObject({ index: 7, status: "created" });
  });

  it("seals an imported TOTP secret: MFA is on with no recovery codes, and the secret's codes work", async () => {
    const { f, importUsers } = setup();
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const result = await importUsers({ users: [row(1, { mfa_secret: secret.toLowerCase() })] });
    const stored = await storedUser(f, String(result.results[0]?.id));
    expect(stored.mfa_enabled).toBe(true);
    expect(stored.mfa?.secret_enc).not.toContain(secret);
    expect(stored.mfa?.recovery_hashes).toEqual([]);
    expect(f.keys.open(String(stored.mfa?.secret_enc)).plaintext).toBe(secret);
    await expect(secondFactorFor(f).require(stored, await totpIn(secret))).resolves.toBeUndefined();
  });

  it("takes 1..1000 rows, checked one by one (the batch is a strict object)", () => {
    const many = Array.from({ length: maxImportBatch + 1 }, (_, n) => row(n));
    expect(importUsersInputSchema.safeParse({ users: [] }).success).toBe(false);
    expect(importUsersInputSchema.safeParse({ users: many }).success).toBe(false);
    expect(importUsersInputSchema.safeParse({ users: many.slice(1) }).success).toBe(true);
    expect(importUsersInputSchema.safeParse({ users: [row(1)], more: 1 }).success).toBe(false);
    expect(importUsersInputSchema.safeParse({ users: [42, "x"] }).success).toBe(true);
  });

  it("an imported bcrypt hash logs in once, is replaced with argon2id, and a wrong password is refused", async () => {
    const { f, importUsers } = setup();
    const hasher = createPasswordHasher();
    const check = createCheckCredentials({
      events: f.events,
      users: f.users,
      attempts: loginAttemptsFor(f),
      hasher,
      secondFactor: secondFactorFor(f),
      succession: successionFor(f),
    });
    const hash = bcrypt.hashSync(password, 4);
    const result = await importUsers({ users: [row(1, { password_hash: hash })] });
    const id = String(result.results[0]?.id);
    const request = { clientIp: "203.0.113.7" };
    expect((await domainErrorOf(check({ identifier: "imported1", password: "wrong" }, request))).code).toBe(
      "INVALID_CREDENTIALS",
    );
    expect((await storedUser(f, id)).password_hash).toBe(hash);
    await expect(check({ identifier: "imported1", password }, request)).resolves.toMatchObject({ id });
    const upgraded = (await storedUser(f, id)).password_hash;
    expect(upgraded).toMatch(/^\$argon2id\$/);
    expect(hasher.needsRehash(upgraded)).toBe(false);
    await expect(check({ identifier: "IMPORTED1@example.com", password }, request)).resolves.toMatchObject({
      id,
    });
    expect((await storedUser(f, id)).password_hash).toBe(upgraded);
  });
});

import { pbkdf2Sync, randomBytes } from "node:crypto";
import { currentTotp } from "@usersvc/core";
import { describe, expect, it } from "vitest";
import {
  json,
  post,
  seedUser,
  startTestServer,
  storedCollection,
  storedId,
  type TestServer,
  withinOneThrottleWindow,
} from "./harness";

/*
 * Hashes made by the real libraries from PyPI (see packages/core/src/password/
 * legacy-hashes.test.ts for how): Werkzeug 3.1.3's default scrypt, its pbkdf2:sha256 in
 * Werkzeug 2.x's form (260,000 iterations), and bcrypt 5.0.0 (cost 10), all of this password.
 */
const password = "Tr0ub4dor&3 ünïcode";
const werkzeugScrypt =
  "scrypt:32768:8:1$TmJhN7nIWu9adNnL$c6b6a1fe447f098e4d426477a4373351f8bb7e8dc39fa71eeef2a3c1b484a527a7386216f26c4f4feda193e92ceb93d386308a70d3fab31afcc9a4cd80beb77d";
const werkzeugPbkdf2 =
  "pbkdf2:sha256:260000$Hu891qnmjmdkUt50$b5e91167efe0be14ff67f6df112abf979deb698c017a64ea366c57be511c567a";
const pythonBcrypt = "$2b$10$vERvxNo8gpzbpLcQj6JiHOK4RBolFwSFNSL4GnYZLy8VDdfBaGnAy";
/** Django's PBKDF2PasswordHasher: the salt as text, the key in base64. */
const django = (secret: string, salt = randomBytes(9).toString("base64url"), iterations = 10_000) =>
  `pbkdf2_sha256$${iterations}$${salt}$${pbkdf2Sync(secret, salt, iterations, 32, "sha256").toString("base64")}`;

const importUsers = (server: TestServer, users: unknown[]) => post(server, "/api/users/import", { users });
const check = (server: TestServer, body: Record<string, unknown>) =>
  post(server, "/api/users/auth/check", body);
const storedHash = async (server: TestServer, id: string) =>
  (await storedCollection(server, "users").findOne({ _id: storedId(id) }))?.password_hash as string;

type ImportAnswer = {
  results: { index: number; id?: string; status: string; reason?: string }[];
  created: number;
  skipped: number;
  invalid: number;
};

const row = (name: string, fields: Record<string, unknown>) => ({
  username: name,
  email: `${name}@example.com`,
  first_name: "Legacy",
  last_name: name,
  gender: "Other",
  ...fields,
});

describe("POST /api/users/import", () => {
  it("imports a batch mixing bcrypt, Django and Werkzeug hashes; each user logs in and gets argon2id once", async () => {
    await using server = await startTestServer();
    const taken = await seedUser(server, { password_hash: django("whatever"), username: "already_here" });
    const keptId = "63a1f1234abc5678def12345";
    const response = await importUsers(server, [
      row("py_scrypt", { id: keptId, password_hash: werkzeugScrypt }),
      row("py_pbkdf2", { password_hash: werkzeugPbkdf2 }),
      row("from_bcrypt", { password_hash: pythonBcrypt, role: "admin" }),
      row("from_django", { password_hash: django(password) }),
      row("ALREADY_HERE", { password_hash: pythonBcrypt }),
      row("bad_hash", { password_hash: "sha1$abc$def" }),
    ]);
    expect(response.status).toBe(200);
    const answer = await json<ImportAnswer>(response);
    expect(answer).toMatchObject({ created: 4, skipped: 1, invalid: 1 });
    expect(answer.results.map((r) => r.status)).toEqual([
      "created",
      "created",
      "created",
      "created",
      "skipped",
      "invalid",
    ]);
    expect(answer.results[0]?.id).toBe(keptId);
    expect(answer.results[4]?.reason).toMatch(/^username:/);
    expect(answer.results[5]?.reason).toMatch(/^password_hash: unknown hash format/);
    expect((await storedCollection(server, "users").findOne({ _id: storedId(taken.id) }))?.username).toBe(
      "already_here",
    );
    // No email for anyone imported.
    expect(await storedCollection(server, "outbox").countDocuments()).toBe(0);

    for (const [index, name] of ["py_scrypt", "py_pbkdf2", "from_bcrypt", "from_django"].entries()) {
      const id = String(answer.results[index]?.id);
      const legacy = await storedHash(server, id);
      expect(legacy).not.toMatch(/^\$argon2/);
      const login = await check(server, { identifier: `${name}@EXAMPLE.com`, password });
      expect(login.status).toBe(200);
      expect(await json(login)).toMatchObject({ id, username: name, is_active: true });
      const upgraded = await storedHash(server, id);
      expect(upgraded).toMatch(/^\$argon2id\$v=19\$/);
      const again = await check(server, { identifier: name, password });
      expect(again.status).toBe(200);
      expect(await storedHash(server, id)).toBe(upgraded);
    }
  });

  it("a password change replaces an imported hash before any login", async () => {
    await using server = await startTestServer();
    const answer = await json<ImportAnswer>(
      await importUsers(server, [row("changes_first", { password_hash: pythonBcrypt })]),
    );
    const id = String(answer.results[0]?.id);
    const body = {
      id,
      current_password: password,
      password: "Changed-pass-1",
      password_confirmation: "Changed-pass-1",
    };
    expect((await post(server, "/api/users/password/change", body)).status).toBe(200);
    expect(await storedHash(server, id)).toMatch(/^\$argon2id\$/);
    expect((await check(server, { identifier: "changes_first", password })).status).toBe(401);
    expect((await check(server, { identifier: "changes_first", password: "Changed-pass-1" })).status).toBe(
      200,
    );
  });

  it("a wrong password on an imported hash is the same 401 and counts toward the lock", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "3" });
    const answer = await json<ImportAnswer>(
      await importUsers(server, [row("locked_out", { password_hash: werkzeugScrypt })]),
    );
    const id = String(answer.results[0]?.id);
    await withinOneThrottleWindow(server);
    const unknown = await json(
      await check(server, { identifier: "nobody_here", password: "Wrong-password-1" }),
    );
    for (let i = 0; i < 3; i++) {
      const wrong = await check(server, { identifier: "locked_out", password: `Wrong-${i}-password` });
      expect(wrong.status).toBe(401);
      expect({ ...(await json(wrong)), request_id: "" }).toEqual({ ...unknown, request_id: "" });
    }
    const locked = await check(server, { identifier: "locked_out", password });
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).not.toBeNull();
    expect(await storedHash(server, id)).toBe(werkzeugScrypt);
  });

  it("an imported TOTP secret keeps MFA on: the login needs a code computed from that secret", async () => {
    await using server = await startTestServer();
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const answer = await json<ImportAnswer>(
      await importUsers(server, [row("with_mfa", { password_hash: werkzeugPbkdf2, mfa_secret: secret })]),
    );
    const id = String(answer.results[0]?.id);
    const stored = await storedCollection(server, "users").findOne({ _id: storedId(id) });
    expect(JSON.stringify(stored)).not.toContain(secret);
    const withoutCode = await check(server, { identifier: "with_mfa", password });
    expect(withoutCode.status).toBe(401);
    expect(await json(withoutCode)).toMatchObject({ code: "MFA_REQUIRED" });
    const login = await check(server, {
      identifier: "with_mfa",
      password,
      totp_code: await currentTotp(secret),
    });
    expect(login.status).toBe(200);
    expect(await json(login)).toMatchObject({ id, mfa_enabled: true });
    expect(await storedHash(server, id)).toMatch(/^\$argon2id\$/);
  });

  it("takes 1,000 users in one call (beyond BODY_LIMIT_BYTES), not 1,001, and refuses a loose batch", async () => {
    await using server = await startTestServer({ BODY_LIMIT_BYTES: "16384" });
    const hash = django("not-used", "fixedsalt", 1_000);
    const many = Array.from({ length: 1_001 }, (_, n) => row(`bulk_${n}`, { password_hash: hash }));
    expect(JSON.stringify({ users: many }).length).toBeGreaterThan(16_384 * 10);
    const tooMany = await importUsers(server, many);
    expect(tooMany.status).toBe(400);
    expect(await json(tooMany)).toMatchObject({ code: "VALIDATION_ERROR" });
    const loose = await post(server, "/api/users/import", { users: [many[0]], extra: 1 });
    expect(loose.status).toBe(400);
    const response = await importUsers(server, many.slice(0, 1_000));
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ created: 1_000, skipped: 0, invalid: 0 });
    // Other routes keep BODY_LIMIT_BYTES.
    const big = await post(server, "/api/users", { username: "x".repeat(20_000) });
    expect(big.status).toBe(413);
    // Without a valid API key the import's larger body is never read.
    const anonymous = await post(
      server,
      "/api/users/import",
      { users: many.slice(0, 100) },
      {
        authorization: "Bearer not-a-key-of-this-service",
      },
    );
    expect(anonymous.status).toBe(413);
  });
});

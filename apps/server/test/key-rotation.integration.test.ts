import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import { createKeyring, createPasswordHasher, deriveKeys } from "@usersvc/core";
import { describe, expect, it } from "vitest";
import { rotateKeys } from "../scripts/rotate-keys";
import {
  activationCode,
  codeAt,
  json,
  newUserInput,
  patch,
  post,
  register,
  seedUser,
  startTestServer,
  storedCollection,
  storedId,
  type TestServer,
} from "./harness";

const login = (server: TestServer, identifier: string, password: string, totp_code?: string) =>
  post(server, "/api/users/auth/check", { identifier, password, ...(totp_code ? { totp_code } : {}) });
/** The reset link's token in the emails to `email` (others, such as the MFA notice, may come too). */
async function resetToken(server: TestServer, email: string): Promise<string> {
  const pattern = /(https:\/\/app\.example\.com\/reset-password\S*)/;
  const deadline = Date.now() + 15_000;
  let link = "";
  while (!link && Date.now() < deadline) {
    const messages = await server.inbox.messagesTo(email);
    link = messages.map((m) => pattern.exec(m.text)?.[1]).find((found) => found !== undefined) ?? "";
    if (!link) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const token = new URL(link).searchParams.get("token");
  if (!token) throw new Error(`no reset link in the email to ${email}`);
  return token;
}

/** A TOTP secret and recovery-code hashes as versions before key rotation stored them. */
function legacyMfa(secretKey: string, totpSecret: string, recoveryCodes: string[]) {
  const { encryption, codeHashing } = deriveKeys(secretKey);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", encryption, iv);
  const ciphertext = Buffer.concat([cipher.update(totpSecret, "utf8"), cipher.final()]);
  const secret_enc = ["v1", iv, cipher.getAuthTag(), ciphertext].map((p) =>
    typeof p === "string" ? p : p.toString("base64url"),
  );
  const hash = (code: string) =>
    createHmac("sha256", codeHashing)
      .update(`recovery:${code.toUpperCase().replace(/[^A-Z0-9]/g, "")}`)
      .digest("base64url");
  return { secret_enc: secret_enc.join("."), recovery_hashes: recoveryCodes.map(hash) };
}

/** Every sealed value stored in users and the outbox. */
async function sealedValues(server: TestServer): Promise<string[]> {
  const users = await storedCollection(server, "users").find({}).toArray();
  const outbox = await storedCollection(server, "outbox").find({}).toArray();
  return [
    ...users.flatMap((u) => [u.mfa?.secret_enc, u.mfa?.pending_secret_enc, u.mfa?.recovery_pepper_enc]),
    ...outbox.map((m) => m.payload_enc),
  ].filter((value): value is string => typeof value === "string");
}

describe("SECRET_KEY rotation", () => {
  it("keeps MFA logins, queued email, codes and reset links working; after rotate-keys the old key can go", async () => {
    const keyA = randomBytes(32).toString("base64url");
    const keyB = randomBytes(32).toString("base64url");
    const idA = createKeyring({ current: keyA }).current.id;
    const idB = createKeyring({ current: keyB }).current.id;
    const shared = {
      MONGODB_DB: `test_${randomBytes(6).toString("hex")}`,
      API_KEYS: `test-${randomBytes(16).toString("hex")}`,
      RESET_PASSWORD_URL: "https://app.example.com/reset-password",
    };
    const password = "Tulip-Kettle-Orbit-42";
    const passwordHash = await createPasswordHasher().hash(password);

    // --- Under key A, with no worker: the email stays queued, sealed with A. ---------------
    const a = await startTestServer({ ...shared, SECRET_KEY: keyA }, { worker: false });
    // 1. An MFA user, enrolled through the API.
    const mfaUser = await seedUser(a, { password_hash: passwordHash, is_active: true });
    const enrolment = await json<{ secret: string }>(
      await patch(a, "/api/users/mfa/enable", { id: mfaUser.id, current_password: password }),
    );
    const confirmed = await patch(a, "/api/users/mfa/confirm", {
      id: mfaUser.id,
      code: await codeAt(enrolment.secret, -30),
    });
    expect(confirmed.status).toBe(200);
    const { recovery_codes: recoveryCodes } = await json<{ recovery_codes: string[] }>(confirmed);
    const sealedA = await storedCollection(a, "users").findOne({ _id: storedId(mfaUser.id) });
    expect(sealedA?.mfa?.secret_enc).toMatch(new RegExp(`^v2\\.${idA}\\.`));
    // 2. An MFA user enrolled by a version before key ids and recovery peppers.
    const legacyUser = await seedUser(a, { password_hash: passwordHash, is_active: true });
    const legacySecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const legacyCodes = ["K7QX2-M9PDA", "ABCDE-FGHJK", "MNPQR-STUVW"];
    await storedCollection(a, "users").updateOne(
      { _id: storedId(legacyUser.id) },
      {
        $set: {
          mfa_enabled: true,
          mfa: {
            ...legacyMfa(keyA, legacySecret, legacyCodes),
            pending_secret_enc: null,
            pending_id: null,
            last_step: null,
          },
        },
      },
    );
    // 3. An enrolment started and not confirmed yet.
    const pendingUser = await seedUser(a, { password_hash: passwordHash, is_active: true });
    const pending = await json<{ secret: string }>(
      await patch(a, "/api/users/mfa/enable", { id: pendingUser.id, current_password: password }),
    );
    // 4. Queued email: a reset link, an activation code, and a reset link due only later.
    expect((await post(a, "/api/users/password/forgot", { identifier: mfaUser.email })).status).toBe(200);
    const newcomer = newUserInput();
    expect((await register(a, newcomer)).status).toBe(201);
    expect((await post(a, "/api/users/password/forgot", { identifier: legacyUser.email })).status).toBe(200);
    const outbox = storedCollection(a, "outbox");
    // The MFA notice, two reset emails (queued in the background) and the activation code.
    await expect.poll(() => outbox.countDocuments({ status: "pending" })).toBe(4);
    await outbox.updateOne(
      { user_id: storedId(legacyUser.id) },
      { $set: { next_attempt_at: new Date(Date.now() + 3_600_000) } },
    );
    await a.app.close(); // keeps the database

    // --- Restart with SECRET_KEY=B, SECRET_KEY_PREVIOUS=A. ---------------------------------
    const b = await startTestServer({ ...shared, SECRET_KEY: keyB, SECRET_KEY_PREVIOUS: keyA });
    try {
      expect((await login(b, mfaUser.username, password, await codeAt(enrolment.secret, 0))).status).toBe(
        200,
      );
      const reSealed = await storedCollection(b, "users").findOne({ _id: storedId(mfaUser.id) });
      expect(reSealed?.mfa?.secret_enc).toMatch(new RegExp(`^v2\\.${idB}\\.`)); // re-sealed on use
      expect((await login(b, mfaUser.username, password, recoveryCodes[0])).status).toBe(200);
      // The queued email goes out (opened with A); the link and the code (hashed under A) work.
      const token = await resetToken(b, mfaUser.email);
      const reset = await post(b, "/api/users/password/reset", {
        token,
        password: "Brand-new-pass-1",
        password_confirmation: "Brand-new-pass-1",
      });
      expect(reset.status).toBe(200);
      const code = await activationCode(b, newcomer.email);
      expect((await patch(b, "/api/users/activation", { identifier: newcomer.username, code })).status).toBe(
        200,
      );

      // rotate-keys re-seals what was not used: the legacy user, the pending enrolment, the later email.
      expect((await sealedValues(b)).some((value) => !value.startsWith(`v2.${idB}.`))).toBe(true);
      const lines: string[] = [];
      const first = await rotateKeys({
        settings: b.settings,
        batchSize: 2,
        print: (line) => lines.push(line),
      });
      expect(first.remaining).toEqual({ users: 0, outbox: 0, webhooks: 0 });
      expect(first.report.users.resealed).toBe(2);
      expect(first.report.outbox.resealed).toBe(1);
      expect(lines.join("\n")).toContain("No stored secret needs a previous key any more");
      expect(lines.join("\n")).not.toContain(keyA);
      for (const value of await sealedValues(b)) expect(value).toMatch(new RegExp(`^v2\\.${idB}\\.`));
      // A second run changes nothing.
      const second = await rotateKeys({ settings: b.settings, print: () => {} });
      expect(second.report.users.resealed + second.report.outbox.resealed).toBe(0);
      expect(second.remaining).toEqual({ users: 0, outbox: 0, webhooks: 0 });
    } finally {
      await b.app.close();
    }

    // --- Restart with only B: the old key is gone. -----------------------------------------
    await using c = await startTestServer({ ...shared, SECRET_KEY: keyB });
    expect(
      (await login(c, mfaUser.username, "Brand-new-pass-1", await codeAt(enrolment.secret, 30))).status,
    ).toBe(200);
    expect((await login(c, mfaUser.username, "Brand-new-pass-1", recoveryCodes[1])).status).toBe(200);
    expect((await login(c, legacyUser.username, password, legacyCodes[0])).status).toBe(200);
    expect((await login(c, legacyUser.username, password, await codeAt(legacySecret, 0))).status).toBe(200);
    const confirm = await patch(c, "/api/users/mfa/confirm", {
      id: pendingUser.id,
      code: await codeAt(pending.secret, 0),
    });
    expect(confirm.status).toBe(200);
    // The email re-sealed by rotate-keys is delivered with B alone; the link in it was hashed
    // under A, so it needs A until it expires (why the old key stays for the longest lifetime).
    await storedCollection(c, "outbox").updateOne(
      { user_id: storedId(legacyUser.id) },
      { $set: { next_attempt_at: new Date() } },
    );
    const late = await resetToken(c, legacyUser.email);
    const refused = await post(c, "/api/users/password/reset", {
      token: late,
      password: "Brand-new-pass-2",
      password_confirmation: "Brand-new-pass-2",
    });
    expect(refused.status).toBe(400);
  });
});

describe("rotate-keys", () => {
  it("stopped midway, is finished by a second run", async () => {
    const keyA = randomBytes(32).toString("base64url");
    const keyB = randomBytes(32).toString("base64url");
    await using server = await startTestServer({ SECRET_KEY: keyA }, { worker: false });
    const passwordHash = await createPasswordHasher().hash("Tulip-Kettle-Orbit-42");
    for (let n = 0; n < 4; n++) {
      const user = await seedUser(server, { password_hash: passwordHash, is_active: true });
      const enable = { id: user.id, current_password: "Tulip-Kettle-Orbit-42" };
      expect((await patch(server, "/api/users/mfa/enable", enable)).status).toBe(200);
    }
    const rotated = { ...server.settings, secretKey: keyB, previousSecretKeys: [keyA] };
    const idB = createKeyring({ current: keyB }).current.id;
    const current = async () =>
      (await sealedValues(server)).filter((value) => value.startsWith(`v2.${idB}.`)).length;

    // A crash after the second batch of one user each.
    let batches = 0;
    const crash = rotateKeys({
      settings: rotated,
      batchSize: 1,
      print: (line) => {
        if (line.startsWith("users:") && ++batches === 2) throw new Error("killed");
      },
    });
    await expect(crash).rejects.toThrow("killed");
    expect(await current()).toBe(2);

    const rerun = await rotateKeys({ settings: rotated, batchSize: 3, print: () => {} });
    expect(rerun.report.users).toMatchObject({ scanned: 4, resealed: 2 });
    expect(rerun.remaining).toEqual({ users: 0, outbox: 0, webhooks: 0 });
    expect(await current()).toBe(4);
  });
});

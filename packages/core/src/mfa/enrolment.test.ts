import { describe, expect, it } from "vitest";
import {
  createFakes,
  domainErrorOf,
  failNext,
  queuedFor,
  secondFactorFor,
  seedPassword,
  seedUser,
  single,
  stepUpFor,
  storedUser,
  testLimits,
  totpIn,
  wrongTotp,
} from "../../test/fakes";
import { decrypt } from "../crypto";
import { createMfaEnrolment } from "./enrolment";
import { findRecoveryHash } from "./recovery-codes";

const issuer = "Users Service";

async function setup() {
  const f = createFakes();
  const secondFactor = secondFactorFor(f);
  const raw = createMfaEnrolment({
    events: f.events,
    users: f.users,
    claims: f.claims,
    secondFactor,
    keys: f.keys,
    stepUp: stepUpFor(f),
    outbox: f.outbox,
    issuer,
  });
  /** The enrolment, `enable` given the right password unless told otherwise. */
  const enrolment = {
    ...raw,
    enable: (id: string, current_password = seedPassword) =>
      raw.enable({ id, current_password }, { clientIp: "203.0.113.7" }),
  };
  const { user } = await seedUser(f, { email: "alice@example.com" });
  return { f, secondFactor, enrolment, user, id: user.id };
}

describe("MFA enrolment", () => {
  it("enable gives a fresh secret, its otpauth URL and QR code, and keeps it sealed and pending", async () => {
    const { f, enrolment, id } = await setup();
    const started = await enrolment.enable(id);
    expect(started.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(started.otpauth_url);
    expect(url.protocol).toBe("otpauth:");
    expect(url.searchParams.get("secret")).toBe(started.secret);
    expect(url.searchParams.get("issuer")).toBe(issuer);
    expect(decodeURIComponent(url.pathname)).toContain("alice@example.com");
    expect(started.qr_code).toMatch(/^data:image\/png;base64,/);

    const stored = await storedUser(f, id);
    expect(stored.mfa_enabled).toBe(false);
    expect(JSON.stringify(stored)).not.toContain(started.secret);
    expect(decrypt(f.keys.encryption, stored.mfa?.pending_secret_enc ?? "")).toBe(started.secret);
  });

  it("enable needs the current password: a wrong one is INVALID_CREDENTIALS, counted as a failed login", async () => {
    const { f, enrolment, id } = await setup();
    for (let n = 0; n < testLimits.account; n++)
      expect((await domainErrorOf(enrolment.enable(id, "wrong password"))).code).toBe("INVALID_CREDENTIALS");
    expect((await domainErrorOf(enrolment.enable(id))).code).toBe("TOO_MANY_ATTEMPTS");
    expect((await storedUser(f, id)).mfa).toBeNull();
  });

  it("enable refuses a locked password (after an email-change revert) with PASSWORD_RESET_REQUIRED", async () => {
    const { f, enrolment, id } = await setup();
    f.users.set(id, { password_locked: true });
    expect((await domainErrorOf(enrolment.enable(id))).code).toBe("PASSWORD_RESET_REQUIRED");
    expect((await storedUser(f, id)).mfa).toBeNull();
  });

  it("confirm emails the user a notice (MFA on, recovery codes issued); a failed confirm leaves none", async () => {
    const { f, enrolment, id } = await setup();
    const { secret } = await enrolment.enable(id);
    expect(queuedFor(f, id)).toEqual([]);
    failNext(f.users, "updateMfa");
    await expect(enrolment.confirm({ id, code: await totpIn(secret) })).rejects.toThrow("injected fault");
    expect(queuedFor(f, id)).toEqual([]);
    await enrolment.confirm({ id, code: await totpIn(secret) });
    const notice = single(queuedFor(f, id));
    expect(notice).toMatchObject({ kind: "mfa-enabled" });
    expect(notice.email.to).toBe("alice@example.com");
    expect(notice.email.text).toContain("recovery codes");
  });

  it("qr shows the pending secret again, and only while one is pending", async () => {
    const { enrolment, id } = await setup();
    expect((await domainErrorOf(enrolment.qr(id))).code).toBe("MFA_NOT_PENDING");
    const started = await enrolment.enable(id);
    const qr = await enrolment.qr(id);
    expect(new URL(qr.otpauth_url).searchParams.get("secret")).toBe(started.secret);
    expect(qr.qr_code).toMatch(/^data:image\/png;base64,/);
  });

  it("answers USER_NOT_FOUND for an unknown id", async () => {
    const { f, enrolment } = await setup();
    const nobody = f.users.newId();
    expect((await domainErrorOf(enrolment.enable(nobody))).code).toBe("USER_NOT_FOUND");
    expect((await domainErrorOf(enrolment.qr(nobody))).code).toBe("USER_NOT_FOUND");
    expect((await domainErrorOf(enrolment.confirm({ id: nobody, code: "123456" }))).code).toBe(
      "USER_NOT_FOUND",
    );
  });

  it("confirm without enable says MFA_NOT_PENDING", async () => {
    const { enrolment, id } = await setup();
    expect((await domainErrorOf(enrolment.confirm({ id, code: "123456" }))).code).toBe("MFA_NOT_PENDING");
  });

  it("confirm with the current code turns MFA on and returns 10 distinct recovery codes, stored hashed", async () => {
    const { f, enrolment, id } = await setup();
    const { secret } = await enrolment.enable(id);
    const { recovery_codes } = await enrolment.confirm({ id, code: await totpIn(secret) });
    expect(recovery_codes).toHaveLength(10);
    expect(new Set(recovery_codes).size).toBe(10);

    const stored = await storedUser(f, id);
    expect(stored.mfa_enabled).toBe(true);
    expect(decrypt(f.keys.encryption, stored.mfa?.secret_enc ?? "")).toBe(secret);
    expect(stored.mfa?.pending_secret_enc).toBeNull();
    expect(stored.mfa?.pending_id).toBeNull();
    const { mfa } = stored;
    if (!mfa) throw new Error("MFA state expected");
    expect(mfa.recovery_pepper_enc).toMatch(/^v2\./);
    expect(mfa.recovery_hashes).toEqual(recovery_codes.map((c) => findRecoveryHash(f.keys, mfa, c)));
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it("once on, enable, qr and confirm say MFA_ALREADY_ENABLED", async () => {
    const { enrolment, id } = await setup();
    const { secret } = await enrolment.enable(id);
    await enrolment.confirm({ id, code: await totpIn(secret) });
    expect((await domainErrorOf(enrolment.enable(id))).code).toBe("MFA_ALREADY_ENABLED");
    expect((await domainErrorOf(enrolment.qr(id))).code).toBe("MFA_ALREADY_ENABLED");
    expect((await domainErrorOf(enrolment.confirm({ id, code: await totpIn(secret, 1) }))).code).toBe(
      "MFA_ALREADY_ENABLED",
    );
  });

  it("the code that confirmed cannot be replayed at login; the next step's code and recovery codes work", async () => {
    const { f, secondFactor, enrolment, id } = await setup();
    const { secret } = await enrolment.enable(id);
    const code = await totpIn(secret);
    const { recovery_codes } = await enrolment.confirm({ id, code });
    expect((await domainErrorOf(secondFactor.verify(await storedUser(f, id), code))).code).toBe(
      "INVALID_MFA_CODE",
    );
    await secondFactor.verify(await storedUser(f, id), await totpIn(secret, 1));
    await secondFactor.verify(await storedUser(f, id), recovery_codes[0] ?? "");
  });

  it("refuses wrong codes with INVALID_MFA_CODE, then 429, leaving MFA off", async () => {
    const { f, enrolment, id } = await setup();
    const { secret } = await enrolment.enable(id);
    expect((await domainErrorOf(enrolment.confirm({ id, code: "not-a-code" }))).code).toBe(
      "INVALID_MFA_CODE",
    );
    for (let n = 1; n < testLimits.mfa; n++) {
      expect((await domainErrorOf(enrolment.confirm({ id, code: await wrongTotp(secret) }))).code).toBe(
        "INVALID_MFA_CODE",
      );
    }
    const error = await domainErrorOf(enrolment.confirm({ id, code: await totpIn(secret) }));
    expect(error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect((await storedUser(f, id)).mfa_enabled).toBe(false);
  });

  it("a new enable replaces the pending secret: codes of the old one no longer confirm", async () => {
    const { f, enrolment, id } = await setup();
    const first = await enrolment.enable(id);
    const second = await enrolment.enable(id);
    expect(second.secret).not.toBe(first.secret);
    expect((await domainErrorOf(enrolment.confirm({ id, code: await wrongTotp(second.secret) }))).code).toBe(
      "INVALID_MFA_CODE",
    );
    const oldCode = await totpIn(first.secret);
    if (oldCode !== (await totpIn(second.secret))) {
      expect((await domainErrorOf(enrolment.confirm({ id, code: oldCode }))).code).toBe("INVALID_MFA_CODE");
    }
    await enrolment.confirm({ id, code: await totpIn(second.secret) });
    expect(decrypt(f.keys.encryption, (await storedUser(f, id)).mfa?.secret_enc ?? "")).toBe(second.secret);
  });

  it("of two confirms at once, one turns MFA on; the other says MFA_ALREADY_ENABLED", async () => {
    const { f, enrolment, id } = await setup();
    const { secret } = await enrolment.enable(id);
    const code = await totpIn(secret);
    const results = await Promise.allSettled([
      enrolment.confirm({ id, code }),
      enrolment.confirm({ id, code }),
    ]);
    const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toEqual([expect.objectContaining({ code: "MFA_ALREADY_ENABLED" })]);
    const { mfa } = await storedUser(f, id);
    if (!mfa) throw new Error("MFA state expected");
    expect(mfa.recovery_hashes).toEqual(won[0]?.recovery_codes.map((c) => findRecoveryHash(f.keys, mfa, c)));
  });

  it("a confirm whose write fails can be retried", async () => {
    const { f, enrolment, id } = await setup();
    const { secret } = await enrolment.enable(id);
    const code = await totpIn(secret);
    failNext(f.users, "updateMfa");
    await expect(enrolment.confirm({ id, code })).rejects.toThrow("injected fault");
    expect((await storedUser(f, id)).mfa_enabled).toBe(false);
    const { recovery_codes } = await enrolment.confirm({ id, code });
    expect(recovery_codes).toHaveLength(10);
    expect((await storedUser(f, id)).mfa_enabled).toBe(true);
  });

  // BUG (enrolment.ts:51-57): enable() claims the end of the pending enrolment, then writes the
  // new secret. When that write fails the claim is kept (it has no expiry) while the old
  // enrolment stays pending, so every later enable and confirm answers MFA_ALREADY_ENABLED
  // although MFA is off: the user can never enrol (until the account is deleted).
  it("a restart of enrolment whose write fails does not block enrolling", async () => {
    const { f, enrolment, id } = await setup();
    await enrolment.enable(id);
    failNext(f.users, "updateMfa");
    await expect(enrolment.enable(id)).rejects.toThrow("injected fault");
    const { secret } = await enrolment.enable(id);
    await enrolment.confirm({ id, code: await totpIn(secret) });
    expect((await storedUser(f, id)).mfa_enabled).toBe(true);
  });

  it("no enrolment finishes while the password is locked by an email-change revert", async () => {
    const { f, enrolment, id } = await setup();
    const { secret } = await enrolment.enable(id);
    f.users.set(id, { password_locked: true });
    expect((await domainErrorOf(enrolment.confirm({ id, code: await totpIn(secret) }))).code).toBe(
      "PASSWORD_RESET_REQUIRED",
    );
    expect((await storedUser(f, id)).mfa_enabled).toBe(false);
  });
});

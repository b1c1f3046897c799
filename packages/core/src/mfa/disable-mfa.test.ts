import { describe, expect, it } from "vitest";
import {
  createFakes,
  domainErrorOf,
  failNext,
  queuedFor,
  secondFactorFor,
  seedMfa,
  seedPassword,
  seedUser,
  single,
  stepUpFor,
  storedUser,
  testLimits,
  totpIn,
  wrongTotp,
} from "../../test/fakes";
import { createDisableMfa } from "./disable-mfa";
import { createMfaEnrolment } from "./enrolment";

async function setup() {
  const f = createFakes();
  const secondFactor = secondFactorFor(f);
  const raw = createDisableMfa({
    events: f.events,
    users: f.users,
    secondFactor,
    stepUp: stepUpFor(f),
    outbox: f.outbox,
  });
  /** Disable, given the right password unless told otherwise. */
  const disable = (input: { id: string; code: string; current_password?: string }) =>
    raw({ current_password: seedPassword, ...input }, { clientIp: "203.0.113.7" });
  const { user } = await seedUser(f);
  const { secret, recoveryCodes } = await seedMfa(f, user.id);
  return { f, secondFactor, disable, id: user.id, email: user.email, secret, recoveryCodes };
}

const wiped = {
  secret_enc: null,
  pending_secret_enc: null,
  pending_id: null,
  last_step: null,
  recovery_hashes: [],
  recovery_pepper_enc: null,
};

describe("disableMfa", () => {
  it("turns MFA off with the current code, wiping the secret and the recovery codes", async () => {
    const { f, secondFactor, disable, id, secret } = await setup();
    const user = await disable({ id, code: await totpIn(secret) });
    expect(user).toMatchObject({ id, mfa_enabled: false });
    const stored = await storedUser(f, id);
    expect(stored.mfa_enabled).toBe(false);
    expect(stored.mfa).toEqual(wiped);
    await secondFactor.require(stored, undefined); // logins need no code any more
  });

  it("emails the user a notice, queued with the write (none when the write fails)", async () => {
    const { f, disable, id, email, secret } = await setup();
    failNext(f.users, "updateMfa");
    await expect(disable({ id, code: await totpIn(secret) })).rejects.toThrow("injected fault");
    expect(queuedFor(f, id)).toEqual([]);
    expect((await storedUser(f, id)).mfa_enabled).toBe(true);
    await disable({ id, code: await totpIn(secret, 1) });
    const notice = single(queuedFor(f, id));
    expect(notice).toMatchObject({ kind: "mfa-disabled" });
    expect(notice.email.to).toBe(email);
  });

  it("needs the current password, with a TOTP code and with a recovery code alike", async () => {
    const { f, disable, id, secret, recoveryCodes } = await setup();
    const recovery = recoveryCodes[0] ?? "";
    for (const code of [await totpIn(secret), recovery]) {
      const error = await domainErrorOf(disable({ id, code, current_password: "wrong password" }));
      expect(error.code).toBe("INVALID_CREDENTIALS");
    }
    // The password is checked first: neither code was spent.
    expect((await storedUser(f, id)).mfa?.recovery_hashes).toHaveLength(10);
    await disable({ id, code: recovery });
    expect((await storedUser(f, id)).mfa_enabled).toBe(false);
  });

  it("counts wrong passwords as failed logins: 429 once the account's slots are spent", async () => {
    const { f, disable, id, secret } = await setup();
    for (let n = 0; n < testLimits.account; n++)
      await domainErrorOf(disable({ id, code: await totpIn(secret), current_password: "nope" }));
    expect((await domainErrorOf(disable({ id, code: await totpIn(secret) }))).code).toBe("TOO_MANY_ATTEMPTS");
    expect((await storedUser(f, id)).mfa_enabled).toBe(true);
  });

  it("accepts a recovery code instead", async () => {
    const { f, disable, id, recoveryCodes } = await setup();
    await disable({ id, code: recoveryCodes[3] ?? "" });
    expect((await storedUser(f, id)).mfa_enabled).toBe(false);
  });

  it("refuses a wrong code (INVALID_MFA_CODE), then 429, leaving MFA on", async () => {
    const { f, disable, id, secret } = await setup();
    const wrong = await wrongTotp(secret);
    for (let n = 0; n < testLimits.mfa; n++) {
      expect((await domainErrorOf(disable({ id, code: wrong }))).code).toBe("INVALID_MFA_CODE");
    }
    expect((await domainErrorOf(disable({ id, code: await totpIn(secret) }))).code).toBe("TOO_MANY_ATTEMPTS");
    expect((await storedUser(f, id)).mfa_enabled).toBe(true);
  });

  it("answers USER_NOT_FOUND for an unknown id and MFA_NOT_ENABLED when it is off", async () => {
    const { f, disable, id, secret } = await setup();
    expect((await domainErrorOf(disable({ id: f.users.newId(), code: "123456" }))).code).toBe(
      "USER_NOT_FOUND",
    );
    await disable({ id, code: await totpIn(secret) });
    expect((await domainErrorOf(disable({ id, code: await totpIn(secret, 1) }))).code).toBe(
      "MFA_NOT_ENABLED",
    );
  });

  it("lets the user enrol again afterwards, with a new secret", async () => {
    const { f, secondFactor, disable, id, secret } = await setup();
    await disable({ id, code: await totpIn(secret) });
    const enrolment = createMfaEnrolment({
      events: f.events,
      users: f.users,
      claims: f.claims,
      secondFactor,
      keys: f.keys,
      stepUp: stepUpFor(f),
      outbox: f.outbox,
      issuer: "Users Service",
    });
    const again = await enrolment.enable({ id, current_password: seedPassword }, { clientIp: "ip" });
    expect(again.secret).not.toBe(secret);
    await enrolment.confirm({ id, code: await totpIn(again.secret) });
    expect((await storedUser(f, id)).mfa_enabled).toBe(true);
  });
});

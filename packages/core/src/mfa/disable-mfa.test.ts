import { describe, expect, it } from "vitest";
import {
  createFakes,
  domainErrorOf,
  secondFactorFor,
  seedMfa,
  seedUser,
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
  const disable = createDisableMfa({ users: f.users, secondFactor });
  const { user } = await seedUser(f);
  const { secret, recoveryCodes } = await seedMfa(f, user.id);
  return { f, secondFactor, disable, id: user.id, secret, recoveryCodes };
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
      users: f.users,
      claims: f.claims,
      secondFactor,
      keys: f.keys,
      issuer: "Users Service",
    });
    const again = await enrolment.enable(id);
    expect(again.secret).not.toBe(secret);
    await enrolment.confirm({ id, code: await totpIn(again.secret) });
    expect((await storedUser(f, id)).mfa_enabled).toBe(true);
  });
});

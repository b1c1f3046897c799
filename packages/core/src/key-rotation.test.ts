/**
 * SECRET_KEY rotation on the fakes: what was sealed or hashed under the previous key keeps
 * working under SECRET_KEY=new + SECRET_KEY_PREVIOUS=old, MFA secrets are re-sealed with the
 * new key when used, and afterwards the old key can go.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  activationCodes,
  createFakes,
  currentKeyOnly,
  domainErrorOf,
  type Fakes,
  failNext,
  loginAttemptsFor,
  rotatedKeyring,
  secondFactorFor,
  seedMfa,
  seedUser,
  stepUpFor,
  storedUser,
  strangerKeyring,
  successionFor,
  totpIn,
} from "../test/fakes";
import { encrypt } from "./crypto";
import type { Keyring } from "./keyring";
import { createMfaEnrolment } from "./mfa/enrolment";
import { findRecoveryHash, recoveryCodeHash } from "./mfa/recovery-codes";
import { needsReseal, planMfaReseal } from "./mfa/reseal";
import { newRecoveryCodes, newTotpSecret } from "./mfa/totp";
import { createReplacePassword } from "./password/replace-password";
import { createResetPassword } from "./password/reset-password";
import type { MfaState } from "./users/user";

/** The same ports with another keyring: a restart of the service with other keys. */
const withKeys = (f: Fakes, keys: Keyring): Fakes => ({ ...f, keys });

const mfaOf = async (f: Fakes, id: string): Promise<MfaState> => {
  const { mfa } = await storedUser(f, id);
  if (!mfa) throw new Error("MFA state expected");
  return mfa;
};

/** An MFA user as versions before key ids and peppers stored it: v1 secret, hashes under the code key. */
async function seedLegacyMfa(f: Fakes, userId: string) {
  const secret = newTotpSecret();
  const recoveryCodes = newRecoveryCodes();
  await f.users.updateMfa(userId, {
    mfa_enabled: true,
    mfa: {
      secret_enc: encrypt(f.keys.encryption, secret),
      pending_secret_enc: null,
      pending_id: null,
      last_step: null,
      recovery_hashes: recoveryCodes.map((code) => recoveryCodeHash(f.keys.codeHashing, code)),
      recovery_pepper_enc: null,
    },
  });
  return { secret, recoveryCodes };
}

/** MFA enrolment over fakes whose keyring a test chooses (before and after a rotation). */
const enrolment = (f: Fakes) =>
  createMfaEnrolment({
    events: f.events,
    users: f.users,
    claims: f.claims,
    secondFactor: secondFactorFor(f),
    keys: f.keys,
    stepUp: stepUpFor(f),
    outbox: f.outbox,
    issuer: "Users Service",
  });

describe("key rotation: MFA", () => {
  it("re-seals the secret and the pepper at a TOTP login; then the old key can go", async () => {
    const a = createFakes();
    const { user } = await seedUser(a);
    const { secret, recoveryCodes } = await seedMfa(a, user.id);
    const b = withKeys(a, rotatedKeyring(a.keys));

    await secondFactorFor(b).verify(await storedUser(b, user.id), await totpIn(secret));
    const mfa = await mfaOf(b, user.id);
    expect(b.keys.isCurrent(mfa.secret_enc ?? "")).toBe(true);
    expect(b.keys.isCurrent(mfa.recovery_pepper_enc ?? "")).toBe(true);
    expect(b.keys.open(mfa.secret_enc ?? "").plaintext).toBe(secret);
    expect(needsReseal(b.keys, mfa)).toBe(false);

    const onlyNew = withKeys(a, currentKeyOnly(b.keys));
    await secondFactorFor(onlyNew).verify(await storedUser(a, user.id), await totpIn(secret, 1));
    await secondFactorFor(onlyNew).verify(await storedUser(a, user.id), recoveryCodes[0] ?? "");
  });

  it("without the re-seal, dropping the previous key locks an MFA user out (what rotate-keys prevents)", async () => {
    const a = createFakes();
    const { user } = await seedUser(a);
    const { secret, recoveryCodes } = await seedMfa(a, user.id);
    const onlyNew = withKeys(a, strangerKeyring());
    const factor = secondFactorFor(onlyNew);
    expect(
      (await domainErrorOf(factor.verify(await storedUser(a, user.id), await totpIn(secret)))).code,
    ).toBe("INVALID_MFA_CODE");
    expect(
      (await domainErrorOf(factor.verify(await storedUser(a, user.id), recoveryCodes[0] ?? ""))).code,
    ).toBe("INVALID_MFA_CODE");
  });

  it("migrates a user enrolled before peppers at a recovery-code login: the other codes survive the key", async () => {
    const a = createFakes();
    const { user } = await seedUser(a);
    const { secret, recoveryCodes } = await seedLegacyMfa(a, user.id);
    const [first, second, third] = recoveryCodes;
    if (!first || !second || !third) throw new Error("expected recovery codes");
    const b = withKeys(a, rotatedKeyring(a.keys));

    await secondFactorFor(b).verify(await storedUser(b, user.id), first);
    const mfa = await mfaOf(b, user.id);
    expect(mfa.recovery_hashes).toHaveLength(9);
    // The stored hashes did not change: the pepper is the key they were made with, now sealed with b.
    expect(b.keys.isCurrent(mfa.recovery_pepper_enc ?? "")).toBe(true);
    expect(b.keys.isCurrent(mfa.secret_enc ?? "")).toBe(true);
    expect(findRecoveryHash(b.keys, mfa, second)).toBe(recoveryCodeHash(a.keys.codeHashing, second));

    const onlyNew = withKeys(a, currentKeyOnly(b.keys));
    await secondFactorFor(onlyNew).verify(await storedUser(a, user.id), second);
    await secondFactorFor(onlyNew).verify(await storedUser(a, user.id), await totpIn(secret));
    // A used code stays used.
    expect(
      (await domainErrorOf(secondFactorFor(onlyNew).verify(await storedUser(a, user.id), first))).code,
    ).toBe("INVALID_MFA_CODE");
    await secondFactorFor(onlyNew).verify(await storedUser(a, user.id), third);
  });

  it("migrates a user enrolled before peppers at a TOTP login too (v1 secret under the current key)", async () => {
    const f = createFakes();
    const { user } = await seedUser(f);
    const { secret, recoveryCodes } = await seedLegacyMfa(f, user.id);
    expect(needsReseal(f.keys, await mfaOf(f, user.id))).toBe(true);
    await secondFactorFor(f).verify(await storedUser(f, user.id), await totpIn(secret));
    const mfa = await mfaOf(f, user.id);
    expect(mfa.secret_enc?.startsWith(`v2.${f.keys.current.id}.`)).toBe(true);
    expect(needsReseal(f.keys, mfa)).toBe(false);
    await secondFactorFor(f).verify(await storedUser(f, user.id), recoveryCodes[4] ?? "");
  });

  it("a failed re-seal write does not fail the login, and the next login re-seals", async () => {
    const a = createFakes();
    const { user } = await seedUser(a);
    const { secret } = await seedMfa(a, user.id);
    const b = withKeys(a, rotatedKeyring(a.keys));
    failNext(b.users, "resealMfa");
    await secondFactorFor(b).verify(await storedUser(b, user.id), await totpIn(secret));
    expect(b.keys.isCurrent((await mfaOf(b, user.id)).secret_enc ?? "")).toBe(false);
    await secondFactorFor(b).verify(await storedUser(b, user.id), await totpIn(secret, 1));
    expect(b.keys.isCurrent((await mfaOf(b, user.id)).secret_enc ?? "")).toBe(true);
  });

  it("a re-seal planned from a stale read never overwrites a newer enrolment", async () => {
    const a = createFakes();
    const { user } = await seedUser(a);
    await seedMfa(a, user.id);
    const b = withKeys(a, rotatedKeyring(a.keys));
    const stale = await mfaOf(b, user.id);
    const { reseal } = planMfaReseal(b.keys, stale);
    if (!reseal) throw new Error("a re-seal was expected");
    // Meanwhile MFA is turned off and on again: a new secret and pepper.
    const { secret: fresh } = await seedMfa(b, user.id);
    expect(await b.users.resealMfa(user.id, reseal)).toBe(false);
    expect(b.keys.open((await mfaOf(b, user.id)).secret_enc ?? "").plaintext).toBe(fresh);
    // Two re-seals of one read: the second finds the values changed and writes nothing.
    const current = planMfaReseal(b.keys, await mfaOf(b, user.id));
    expect(current.reseal).toBeNull();
  });

  it("counts values no configured key opens, and leaves them", async () => {
    const a = createFakes();
    const { user } = await seedUser(a);
    await seedMfa(a, user.id);
    const stranger = strangerKeyring();
    const plan = planMfaReseal(stranger, await mfaOf(a, user.id));
    expect(plan).toEqual({ reseal: null, unreadable: 2 });
  });

  it("confirms an enrolment started before the rotation, sealing the secret with the new key", async () => {
    const a = createFakes();
    const { user, password } = await seedUser(a);
    const { secret } = await enrolment(a).enable(
      { id: user.id, current_password: password },
      { clientIp: "1.2.3.4" },
    );
    const b = withKeys(a, rotatedKeyring(a.keys));
    expect((await enrolment(b).qr(user.id)).otpauth_url).toContain(secret);
    const { recovery_codes } = await enrolment(b).confirm({ id: user.id, code: await totpIn(secret) });
    const mfa = await mfaOf(b, user.id);
    expect(needsReseal(b.keys, mfa)).toBe(false);
    const onlyNew = withKeys(a, currentKeyOnly(b.keys));
    await secondFactorFor(onlyNew).verify(await storedUser(a, user.id), recovery_codes[0] ?? "");
  });

  it("an enrolment pending under a removed key asks to start again (no 500)", async () => {
    const a = createFakes();
    const { user, password } = await seedUser(a);
    const { secret } = await enrolment(a).enable(
      { id: user.id, current_password: password },
      { clientIp: "1.2.3.4" },
    );
    const onlyNew = withKeys(a, strangerKeyring());
    expect((await domainErrorOf(enrolment(onlyNew).qr(user.id))).code).toBe("MFA_NOT_PENDING");
    const confirm = enrolment(onlyNew).confirm({ id: user.id, code: await totpIn(secret) });
    expect((await domainErrorOf(confirm)).code).toBe("MFA_NOT_PENDING");
  });
});

describe("key rotation: codes and reset links", () => {
  it("an activation code hashed under the previous key is still accepted", async () => {
    const a = createFakes();
    const userId = a.users.newId();
    const { code, state } = activationCodes(a).newCode({ lifetimeMinutes: 10, userId });
    const b = withKeys(a, rotatedKeyring(a.keys));
    expect((await activationCodes(b).check({ userId, state, code })).outcome).toBe("ok");
    const fresh = activationCodes(b).newCode({ lifetimeMinutes: 10, userId });
    expect(fresh.state.code_hash).toBe(b.keys.hash(fresh.code));
  });

  it("a reset link issued under the previous key still resets the password", async () => {
    const a = createFakes();
    const { user } = await seedUser(a);
    const token = randomBytes(32).toString("base64url");
    await a.resetTokens.create({
      userId: user.id,
      tokenHash: a.keys.hash(token),
      emailKey: user.email_key,
      expiresAt: new Date(Date.now() + 15 * 60_000),
    });
    const b = withKeys(a, rotatedKeyring(a.keys));
    const reset = createResetPassword({
      events: b.events,
      users: b.users,
      resetTokens: b.resetTokens,
      claims: b.claims,
      hasher: b.hasher,
      policy: b.policy,
      keys: b.keys,
      replacePassword: createReplacePassword({
        succession: successionFor(b),
        users: b.users,
        resetTokens: b.resetTokens,
        attempts: loginAttemptsFor(b),
        outbox: b.outbox,
      }),
    });
    const password = "a brand new password";
    await reset({ token, password, password_confirmation: password });
    expect((await storedUser(b, user.id)).password_hash).toBe(`hash:${password}`);
  });
});

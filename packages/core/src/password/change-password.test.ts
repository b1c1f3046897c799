import { describe, expect, it } from "vitest";
import {
  createFakes,
  domainErrorOf,
  loginAttemptsFor,
  queuedFor,
  secondFactorFor,
  seedMfa,
  seedUser,
  single,
  storedUser,
  successionFor,
  testLimits,
  totpIn,
  wrongTotp,
} from "../../test/fakes";
import { createCheckCredentials } from "../login/check-credentials";
import { createChangePassword } from "./change-password";
import { hasherBusyError } from "./password-hasher";
import { createReplacePassword } from "./replace-password";
import type { ChangePasswordInput } from "./schemas";

const request = { clientIp: "203.0.113.7" };
const newPassword = "a brand new password";

async function setup() {
  const f = createFakes();
  const attempts = loginAttemptsFor(f);
  const secondFactor = secondFactorFor(f);
  const replacePassword = createReplacePassword({
    succession: successionFor(f),
    users: f.users,
    resetTokens: f.resetTokens,
    attempts,
    outbox: f.outbox,
  });
  const change = createChangePassword({
    events: f.events,
    users: f.users,
    attempts,
    hasher: f.hasher,
    policy: f.policy,
    secondFactor,
    replacePassword,
  });
  const login = createCheckCredentials({
    events: f.events,
    succession: successionFor(f),
    users: f.users,
    attempts,
    hasher: f.hasher,
    secondFactor,
  });
  const { user, password } = await seedUser(f, { username: "alice", email: "alice@example.com" });
  const input = (overrides: Partial<ChangePasswordInput> = {}): ChangePasswordInput => ({
    id: user.id,
    current_password: password,
    password: newPassword,
    password_confirmation: newPassword,
    ...overrides,
  });
  return { f, change, login, user, password, input };
}

describe("changePassword", () => {
  it("changes the password given the current one, and notifies the user", async () => {
    const { f, change, login, user, password, input } = await setup();
    expect(await change(input(), request)).toEqual({ message: "Your password has been changed." });
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${newPassword}`);
    expect((await domainErrorOf(login({ identifier: "alice", password }, request))).code).toBe(
      "INVALID_CREDENTIALS",
    );
    expect(await login({ identifier: "alice", password: newPassword }, request)).toMatchObject({
      id: user.id,
    });
    const notice = single(queuedFor(f, user.id));
    expect(notice).toMatchObject({ kind: "password-changed" });
    expect(notice.email.to).toBe("alice@example.com");
  });

  it("refuses while the password is locked by an email-change revert (only a reset unlocks it)", async () => {
    const { f, change, user, input } = await setup();
    f.users.set(user.id, { password_locked: true });
    expect((await domainErrorOf(change(input(), request))).code).toBe("PASSWORD_RESET_REQUIRED");
    expect((await domainErrorOf(change(input({ current_password: "wrong" }), request))).code).toBe(
      "INVALID_CREDENTIALS",
    );
    expect((await storedUser(f, user.id)).password_hash).not.toBe(`hash:${newPassword}`);
    expect(queuedFor(f, user.id)).toEqual([]);
  });

  it("ends outstanding reset links", async () => {
    const { f, change, user, input } = await setup();
    await f.resetTokens.create({
      userId: user.id,
      tokenHash: "h",
      emailKey: "owner@example.com",
      expiresAt: new Date(Date.now() + 60_000),
    });
    await change(input(), request);
    expect(f.resetTokens.all()).toEqual([]);
  });

  it("answers USER_NOT_FOUND for an unknown id", async () => {
    const { f, change, input } = await setup();
    expect((await domainErrorOf(change(input({ id: f.users.newId() }), request))).code).toBe(
      "USER_NOT_FOUND",
    );
  });

  it("refuses a wrong current password, which counts as a failed login", async () => {
    const { f, change, login, user, password, input } = await setup();
    for (let n = 0; n < testLimits.account; n++) {
      expect((await domainErrorOf(change(input({ current_password: "wrong" }), request))).code).toBe(
        "INVALID_CREDENTIALS",
      );
    }
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${password}`);
    expect((await domainErrorOf(change(input(), request))).code).toBe("TOO_MANY_ATTEMPTS");
    expect((await domainErrorOf(login({ identifier: "alice", password }, request))).code).toBe(
      "TOO_MANY_ATTEMPTS",
    );
    // No password-changed notice; the owner is told of the lock.
    expect(f.store.messages().map((m) => m.kind)).toEqual(["login-locked"]);
  });

  it("with MFA on, needs a valid code too, asked only after the right current password", async () => {
    const { f, change, user, password, input } = await setup();
    const { secret } = await seedMfa(f, user.id);
    expect((await domainErrorOf(change(input({ current_password: "wrong" }), request))).code).toBe(
      "INVALID_CREDENTIALS",
    );
    expect((await domainErrorOf(change(input(), request))).code).toBe("MFA_REQUIRED");
    expect((await domainErrorOf(change(input({ totp_code: await wrongTotp(secret) }), request))).code).toBe(
      "INVALID_MFA_CODE",
    );
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${password}`);
    await change(input({ totp_code: await totpIn(secret) }), request);
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${newPassword}`);
  });

  it("refuses the username or the email as the new password, changing nothing", async () => {
    const { f, change, user, password, input } = await setup();
    for (const bad of ["Alice", "ALICE@example.com"]) {
      const error = await domainErrorOf(
        change(input({ password: bad, password_confirmation: bad }), request),
      );
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.issues.map((i) => i.path)).toEqual(["password"]);
    }
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${password}`);
  });

  it("refuses a weak new password with WEAK_PASSWORD and its feedback, changing nothing", async () => {
    const { f, change, user, input } = await setup();
    const error = await domainErrorOf(
      change(input({ password: "qwerty123", password_confirmation: "qwerty123" }), request),
    );
    expect(error.code).toBe("WEAK_PASSWORD");
    expect(error.issues.map((i) => i.message).join(" ")).not.toBe("");
    expect(await storedUser(f, user.id)).toMatchObject({ password_hash: user.password_hash });
    expect(queuedFor(f, user.id)).toEqual([]);
  });

  it("refuses with SERVICE_BUSY when the hasher is full, changing nothing", async () => {
    const { f, change, user, password, input } = await setup();
    f.hasher.busy = true;
    expect((await domainErrorOf(change(input(), request))).code).toBe("SERVICE_BUSY");
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${password}`);
  });

  it("answers SERVICE_BUSY for the new password's hash before writing anything: the same request works again", async () => {
    const { f, user, password, input } = await setup();
    const { secret } = await seedMfa(f, user.id);
    // The hasher fills up between the check of the current password and the new hash.
    let refuseHash = true;
    const hasher = {
      ...f.hasher,
      admit: () => {},
      hash: (plain: string) => (refuseHash ? Promise.reject(hasherBusyError()) : f.hasher.hash(plain)),
    };
    const attempts = loginAttemptsFor({ ...f, hasher });
    const change = createChangePassword({
      events: f.events,
      users: f.users,
      attempts,
      hasher,
      policy: f.policy,
      secondFactor: secondFactorFor(f),
      replacePassword: createReplacePassword({
        succession: successionFor(f),
        users: f.users,
        resetTokens: f.resetTokens,
        attempts,
        outbox: f.outbox,
      }),
    });
    const request_ = input({ totp_code: await totpIn(secret) });
    for (let n = 0; n < 2 * testLimits.account; n++) {
      expect((await domainErrorOf(change(request_, request))).code).toBe("SERVICE_BUSY");
    }
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${password}`);
    expect(queuedFor(f, user.id)).toEqual([]);
    // Neither the TOTP step nor the throttle slots were used up: the very same request passes.
    refuseHash = false;
    expect(await change(request_, request)).toEqual({ message: "Your password has been changed." });
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${newPassword}`);
  });

  it("refuses a weak new password before writing anything: the TOTP code still works with a strong one", async () => {
    const { f, change, user, password, input } = await setup();
    const { secret } = await seedMfa(f, user.id);
    const totp_code = await totpIn(secret);
    const weak = await domainErrorOf(
      change(input({ password: "qwerty123", password_confirmation: "qwerty123", totp_code }), request),
    );
    expect(weak.code).toBe("WEAK_PASSWORD");
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${password}`);
    // The same TOTP code was not claimed by the refused request.
    expect(await change(input({ totp_code }), request)).toEqual({
      message: "Your password has been changed.",
    });
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${newPassword}`);
  });
});

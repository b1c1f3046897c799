import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createFakes,
  domainErrorOf,
  failNext,
  loginAttemptsFor,
  secondFactorFor,
  seedMfa,
  seedUser,
  storedUser,
  successionFor,
  testLimits,
  totpIn,
  wrongTotp,
} from "../../test/fakes";
import { hasherBusyError } from "../password/password-hasher";
import { createCheckCredentials } from "./check-credentials";

const request = { clientIp: "203.0.113.7" };

async function setup() {
  const f = createFakes();
  const attempts = loginAttemptsFor(f);
  const secondFactor = secondFactorFor(f);
  const check = createCheckCredentials({
    events: f.events,
    succession: successionFor(f),
    users: f.users,
    attempts,
    hasher: f.hasher,
    secondFactor,
  });
  const { user, password } = await seedUser(f, { username: "alice", email: "Alice@Example.com" });
  return { f, attempts, secondFactor, check, user, password };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("checkCredentials", () => {
  it("tells of a password locked by an email-change revert only after the right password", async () => {
    const { f, check, user, password } = await setup();
    f.users.set(user.id, { password_locked: true });
    expect((await domainErrorOf(check({ identifier: "alice", password: "wrong" }, request))).code).toBe(
      "INVALID_CREDENTIALS",
    );
    const locked = await domainErrorOf(check({ identifier: "alice", password }, request));
    expect(locked.code).toBe("PASSWORD_RESET_REQUIRED");
    expect(locked.message).toContain("password/forgot");
    await f.users.setPasswordHash(user.id, `hash:${password}`, { changedAt: new Date(), unlock: true }); // a reset
    expect(await check({ identifier: "alice", password }, request)).toMatchObject({ id: user.id });
  });

  it("answers the public user for the right password, by username or email in any case", async () => {
    const { check, user, password } = await setup();
    for (const identifier of ["alice", "ALICE", "alice@example.com"]) {
      const found = await check({ identifier, password }, request);
      expect(found).toMatchObject({ id: user.id, username: "alice", is_active: true });
      expect(found).not.toHaveProperty("password_hash");
    }
  });

  it("answers a wrong password and an unknown identifier alike, at the same cost", async () => {
    const { f, check } = await setup();
    const cost = async (identifier: string) => {
      const before = f.hasher.calls.verify;
      const error = await domainErrorOf(check({ identifier, password: "wrong password" }, request));
      return { code: error.code, message: error.message, verifications: f.hasher.calls.verify - before };
    };
    const wrongPassword = await cost("alice");
    const unknown = await cost("nobody");
    expect(wrongPassword).toEqual({
      code: "INVALID_CREDENTIALS",
      message: wrongPassword.message,
      verifications: 1,
    });
    expect(unknown).toEqual(wrongPassword);
  });

  it("says USER_NOT_ACTIVE only after the right password", async () => {
    const { f, check } = await setup();
    const { password } = await seedUser(f, { username: "inactive", is_active: false });
    expect((await domainErrorOf(check({ identifier: "inactive", password: "nope" }, request))).code).toBe(
      "INVALID_CREDENTIALS",
    );
    expect((await domainErrorOf(check({ identifier: "inactive", password }, request))).code).toBe(
      "USER_NOT_ACTIVE",
    );
  });

  describe("with MFA on", () => {
    it("says MFA_REQUIRED only after the right password, then accepts the current code", async () => {
      const { f, check, user, password } = await setup();
      const { secret } = await seedMfa(f, user.id);
      expect((await domainErrorOf(check({ identifier: "alice", password: "nope" }, request))).code).toBe(
        "INVALID_CREDENTIALS",
      );
      expect((await domainErrorOf(check({ identifier: "alice", password }, request))).code).toBe(
        "MFA_REQUIRED",
      );
      const found = await check({ identifier: "alice", password, totp_code: await totpIn(secret) }, request);
      expect(found).toMatchObject({ id: user.id, mfa_enabled: true });
    });

    it("refuses a wrong code (INVALID_MFA_CODE) and a replayed one", async () => {
      const { f, check, user, password } = await setup();
      const { secret } = await seedMfa(f, user.id);
      const wrong = await wrongTotp(secret);
      expect(
        (await domainErrorOf(check({ identifier: "alice", password, totp_code: wrong }, request))).code,
      ).toBe("INVALID_MFA_CODE");
      const code = await totpIn(secret);
      await check({ identifier: "alice", password, totp_code: code }, request);
      expect(
        (await domainErrorOf(check({ identifier: "alice", password, totp_code: code }, request))).code,
      ).toBe("INVALID_MFA_CODE");
    });

    it("does not spend the code on a wrong password", async () => {
      const { f, check, user, password } = await setup();
      const { secret } = await seedMfa(f, user.id);
      const code = await totpIn(secret);
      await domainErrorOf(check({ identifier: "alice", password: "nope", totp_code: code }, request));
      expect(await check({ identifier: "alice", password, totp_code: code }, request)).toMatchObject({
        id: user.id,
      });
    });

    it("accepts a recovery code once", async () => {
      const { f, check, user, password } = await setup();
      const { recoveryCodes } = await seedMfa(f, user.id);
      const recovery = recoveryCodes[0] ?? "";
      await check({ identifier: "alice", password, totp_code: recovery }, request);
      expect(
        (await domainErrorOf(check({ identifier: "alice", password, totp_code: recovery }, request))).code,
      ).toBe("INVALID_MFA_CODE");
    });
  });

  describe("throttling", () => {
    it(`locks an account after ${testLimits.account} failures: 429 with the wait, no password checked`, async () => {
      const { f, check, password } = await setup();
      for (let n = 0; n < testLimits.account; n++)
        await domainErrorOf(check({ identifier: "alice", password: "x" }, request));
      const verifications = f.hasher.calls.verify;
      const error = await domainErrorOf(check({ identifier: "alice", password }, request));
      expect(error.code).toBe("TOO_MANY_ATTEMPTS");
      expect(error.retryAfterSeconds).toBeGreaterThan(0);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(testLimits.windowSeconds);
      expect(f.hasher.calls.verify).toBe(verifications);
    });

    it("locks unknown identifiers the same way", async () => {
      const { f, check } = await setup();
      for (let n = 0; n < testLimits.account; n++)
        await domainErrorOf(check({ identifier: "nobody", password: "x" }, request));
      const verifications = f.hasher.calls.verify;
      expect((await domainErrorOf(check({ identifier: "NOBODY", password: "x" }, request))).code).toBe(
        "TOO_MANY_ATTEMPTS",
      );
      expect(f.hasher.calls.verify).toBe(verifications);
    });

    it("lets the right password in again once the wait is over", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date("2030-01-01T00:00:10Z"));
      const { check, password } = await setup();
      for (let n = 0; n < testLimits.account; n++)
        await domainErrorOf(check({ identifier: "alice", password: "x" }, request));
      const { retryAfterSeconds } = await domainErrorOf(check({ identifier: "alice", password }, request));
      vi.setSystemTime(Date.now() + (retryAfterSeconds ?? Number.NaN) * 1_000);
      expect(await check({ identifier: "alice", password }, request)).toMatchObject({ username: "alice" });
    });

    it("a successful login forgets earlier failures", async () => {
      const { check, password } = await setup();
      for (let n = 0; n < testLimits.account - 1; n++)
        await domainErrorOf(check({ identifier: "alice", password: "x" }, request));
      await check({ identifier: "alice", password }, request);
      for (let n = 0; n < testLimits.account; n++) {
        expect((await domainErrorOf(check({ identifier: "alice", password: "x" }, request))).code).toBe(
          "INVALID_CREDENTIALS",
        );
      }
    });

    it("refuses with SERVICE_BUSY while the hasher is full, without counting it against the account", async () => {
      const { f, check, password } = await setup();
      f.hasher.busy = true;
      for (let n = 0; n < 2 * testLimits.account; n++) {
        const error = await domainErrorOf(check({ identifier: "alice", password }, request));
        expect(error.code).toBe("SERVICE_BUSY");
        expect(error.retryAfterSeconds).toBeGreaterThan(0);
      }
      // Refused before the user is even read (a lookup would fail here).
      failNext(f.users, "findByIdentifier");
      expect((await domainErrorOf(check({ identifier: "alice", password }, request))).code).toBe(
        "SERVICE_BUSY",
      );
      f.hasher.busy = false;
      await expect(check({ identifier: "alice", password }, request)).rejects.toThrow("injected fault");
      expect(await check({ identifier: "alice", password }, request)).toMatchObject({ username: "alice" });
    });

    it("gives the throttle slots back when the verification itself is refused as busy", async () => {
      const f = createFakes();
      const hasher = { ...f.hasher, admit: () => {} }; // the hasher filled up after the early check
      const check = createCheckCredentials({
        events: f.events,
        succession: successionFor(f),
        users: f.users,
        attempts: loginAttemptsFor({ ...f, hasher }),
        hasher,
        secondFactor: secondFactorFor(f),
      });
      await seedUser(f, { username: "alice" });
      for (let n = 0; n < testLimits.account - 1; n++)
        await domainErrorOf(check({ identifier: "alice", password: "x" }, request));
      f.hasher.busy = true;
      for (let n = 0; n < 2 * testLimits.account; n++) {
        expect((await domainErrorOf(check({ identifier: "alice", password: "x" }, request))).code).toBe(
          "SERVICE_BUSY",
        );
      }
      f.hasher.busy = false;
      expect((await domainErrorOf(check({ identifier: "alice", password: "x" }, request))).code).toBe(
        "INVALID_CREDENTIALS",
      );
    });
  });

  describe("hash upgrades", () => {
    it("rehashes a weak hash at login", async () => {
      const { f, check } = await setup();
      const { user } = await seedUser(f, { username: "old" });
      f.users.set(user.id, { password_hash: "weak:old-password" });
      await check({ identifier: "old", password: "old-password" }, request);
      expect((await storedUser(f, user.id)).password_hash).toBe("hash:old-password");
    });

    it("still logs in, keeping the weak hash, when the hasher is busy for the upgrade", async () => {
      const f = createFakes();
      const hasher = { ...f.hasher, hash: () => Promise.reject(hasherBusyError()) };
      const check = createCheckCredentials({
        events: f.events,
        succession: successionFor(f),
        users: f.users,
        attempts: loginAttemptsFor(f),
        hasher,
        secondFactor: secondFactorFor(f),
      });
      const { user } = await seedUser(f, { username: "old" });
      f.users.set(user.id, { password_hash: "weak:old-password" });
      expect(await check({ identifier: "old", password: "old-password" }, request)).toMatchObject({
        id: user.id,
      });
      expect((await storedUser(f, user.id)).password_hash).toBe("weak:old-password");
    });

    it("does not undo a password change made during the login", async () => {
      const f = createFakes();
      const { user } = await seedUser(f, { username: "old" });
      f.users.set(user.id, { password_hash: "weak:old-password" });
      const check = createCheckCredentials({
        events: f.events,
        succession: successionFor(f),
        users: {
          ...f.users,
          async findByIdentifier(identifier) {
            const found = await f.users.findByIdentifier(identifier);
            f.users.set(user.id, { password_hash: "hash:changed meanwhile" });
            return found;
          },
        },
        attempts: loginAttemptsFor(f),
        hasher: f.hasher,
        secondFactor: secondFactorFor(f),
      });
      await check({ identifier: "old", password: "old-password" }, request);
      expect((await storedUser(f, user.id)).password_hash).toBe("hash:changed meanwhile");
    });
  });

  it("records login.failed per wrong password (user null for unknown identifiers), login.locked at the limit, login.succeeded", async () => {
    const { f, check, user, password } = await setup();
    await domainErrorOf(check({ identifier: "nobody", password: "wrong" }, request));
    expect(f.events.recorded).toEqual([
      { type: "login.failed", userId: null, details: { method: "password", reason: "unknown_identifier" } },
    ]);
    f.events.recorded.length = 0;
    await check({ identifier: "alice", password }, request);
    expect(f.events.types()).toEqual(["login.succeeded"]);
    f.events.recorded.length = 0;
    for (let i = 0; i < testLimits.account; i++)
      await domainErrorOf(check({ identifier: "alice", password: "wrong" }, request));
    expect(f.events.types()).toEqual([...Array(testLimits.account).fill("login.failed"), "login.locked"]);
    expect(f.events.recorded.at(-1)).toMatchObject({
      userId: user.id,
      details: { factor: "password", failures: testLimits.account },
    });
    f.events.recorded.length = 0;
    // While locked nothing is checked, so nothing is recorded.
    expect((await domainErrorOf(check({ identifier: "alice", password }, request))).code).toBe(
      "TOO_MANY_ATTEMPTS",
    );
    expect(f.events.recorded).toEqual([]);
  });
});

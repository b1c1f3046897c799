import { describe, expect, it } from "vitest";
import { createFakes, domainErrorOf, loginAttemptsFor, seedUser, testLimits } from "../../test/fakes";
import { hasherBusyError } from "../password/password-hasher";

const ip = "203.0.113.7";

async function setup(limits = testLimits) {
  const f = createFakes();
  const attempts = loginAttemptsFor(f, limits);
  const { user } = await seedUser(f);
  /** One attempt on `user` that fails (wrong password). */
  const fail = async (clientIp = ip) => {
    const attempt = await attempts.start({ user, identifier: user.username, clientIp });
    return attempt.check(async () => false);
  };
  return { f, attempts, user, fail };
}

describe("login attempts", () => {
  it(`refuses the attempt after ${testLimits.account} failures with 429 and the wait`, async () => {
    const { fail } = await setup();
    for (let n = 0; n < testLimits.account; n++) expect(await fail()).toBe(false);
    const error = await domainErrorOf(fail());
    expect(error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(testLimits.windowSeconds);
    expect(error.message).toContain(`${error.retryAfterSeconds} seconds`);
  });

  it("a success forgets the account's failures", async () => {
    const { attempts, user, fail } = await setup();
    for (let n = 0; n < testLimits.account - 1; n++) await fail();
    const attempt = await attempts.start({ user, identifier: user.username, clientIp: ip });
    expect(await attempt.check(async () => true)).toBe(true);
    await attempt.succeeded();
    for (let n = 0; n < testLimits.account; n++) expect(await fail()).toBe(false);
    expect((await domainErrorOf(fail())).code).toBe("TOO_MANY_ATTEMPTS");
  });

  it("clearAccount forgets the failures (after a password change)", async () => {
    const { attempts, user, fail } = await setup();
    for (let n = 0; n < testLimits.account; n++) await fail();
    await attempts.clearAccount(user.id);
    expect(await fail()).toBe(false);
  });

  it("throttles a client IP across accounts, and a success gives its IP slot back", async () => {
    const limits = { ...testLimits, account: 100, ip: 3 };
    const { f, attempts } = await setup(limits);
    const { user: other } = await seedUser(f);
    for (let n = 0; n < limits.ip; n++) {
      const attempt = await attempts.start({ user: other, identifier: other.username, clientIp: ip });
      await attempt.succeeded();
    }
    for (let n = 0; n < limits.ip; n++) {
      const attempt = await attempts.start({ user: null, identifier: `nobody${n}`, clientIp: ip });
      await attempt.check(() => attempts.verifyUnknown("guess"));
    }
    expect(
      (await domainErrorOf(attempts.start({ user: other, identifier: other.username, clientIp: ip }))).code,
    ).toBe("TOO_MANY_ATTEMPTS");
    await attempts.start({ user: other, identifier: other.username, clientIp: "198.51.100.1" });
  });

  it("without an IP throttle (no trusted proxy) only accounts are limited", async () => {
    const limits = { ...testLimits, ip: null };
    const { attempts } = await setup(limits);
    // more attempts from one address than the IP throttle would allow
    for (let n = 0; n < (testLimits.ip ?? 0) + testLimits.account; n++) {
      const attempt = await attempts.start({ user: null, identifier: `nobody${n}`, clientIp: ip });
      expect(await attempt.check(async () => false)).toBe(false);
    }
  });

  it("refuses at once with SERVICE_BUSY when the hasher is full, taking no slot", async () => {
    const { f, fail } = await setup();
    f.hasher.busy = true;
    for (let n = 0; n < 2 * testLimits.account; n++)
      expect((await domainErrorOf(fail())).code).toBe("SERVICE_BUSY");
    f.hasher.busy = false;
    for (let n = 0; n < testLimits.account; n++) expect(await fail()).toBe(false);
  });

  it("gives the slots back when the check itself is refused as busy", async () => {
    const limits = { ...testLimits, ip: testLimits.account };
    const { attempts, user, fail } = await setup(limits);
    for (let n = 0; n < 2 * testLimits.account; n++) {
      const attempt = await attempts.start({ user, identifier: user.username, clientIp: ip });
      expect((await domainErrorOf(attempt.check(() => Promise.reject(hasherBusyError())))).code).toBe(
        "SERVICE_BUSY",
      );
    }
    for (let n = 0; n < testLimits.account; n++) expect(await fail()).toBe(false);
  });

  it("keeps the slot of a check that failed for another reason", async () => {
    const { attempts, user, fail } = await setup();
    const attempt = await attempts.start({ user, identifier: user.username, clientIp: ip });
    await expect(attempt.check(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    for (let n = 0; n < testLimits.account - 1; n++) await fail();
    expect((await domainErrorOf(fail())).code).toBe("TOO_MANY_ATTEMPTS");
  });

  it("checks unknown identifiers with one argon2 verification, never matching", async () => {
    const { f, attempts } = await setup();
    const before = f.hasher.calls.verify;
    expect(await attempts.verifyUnknown("anything")).toBe(false);
    expect(f.hasher.calls.verify).toBe(before + 1);
  });

  it("makes the dummy hash again when the hasher was busy at startup", async () => {
    const f = createFakes();
    f.hasher.busy = true;
    const attempts = loginAttemptsFor(f);
    await Promise.resolve();
    f.hasher.busy = false;
    expect(await attempts.verifyUnknown("anything")).toBe(false);
    expect(f.hasher.calls.verify).toBe(1);
  });
});

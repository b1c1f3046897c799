import { describe, expect, it } from "vitest";
import {
  createFakes,
  domainErrorOf,
  loginAttemptsFor,
  queuedFor,
  seedUser,
  settleBackground,
  testLimits,
} from "../../test/fakes";
import { hasherBusyError } from "../password/password-hasher";

const ip = "203.0.113.7";

async function setup(limits = testLimits) {
  const f = createFakes();
  const clock = { now: Date.now() };
  const attempts = loginAttemptsFor(f, limits, () => clock.now);
  const { user } = await seedUser(f);
  /** One attempt on `user` that fails (wrong password). */
  const fail = async (clientIp = ip) => {
    const attempt = await attempts.start({ user, identifier: user.username, clientIp });
    return attempt.check(async () => false);
  };
  return { f, clock, attempts, user, fail };
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

  it("doubles the lock for each consecutive lock, and Retry-After tells the real wait", async () => {
    const { clock, fail } = await setup();
    const waits: number[] = [];
    for (let lock = 0; lock < 3; lock++) {
      for (let n = 0; n < testLimits.account; n++) expect(await fail()).toBe(false);
      const error = await domainErrorOf(fail());
      waits.push(error.retryAfterSeconds ?? 0);
      clock.now += (error.retryAfterSeconds ?? 0) * 1_000;
    }
    const w = testLimits.windowSeconds;
    expect(waits).toEqual([w, 2 * w, 4 * w]);
  });

  it("tells the owner once per lock series, by email to the current address; a success starts a new series", async () => {
    const { f, clock, attempts, user, fail } = await setup();
    const lockOnce = async () => {
      for (let n = 0; n < testLimits.account; n++) await fail();
      const error = await domainErrorOf(fail());
      clock.now += (error.retryAfterSeconds ?? 0) * 1_000;
      await settleBackground(f);
    };
    await lockOnce();
    const [notice, ...more] = queuedFor(f, user.id).filter((m) => m.kind === "login-locked");
    expect(more).toEqual([]);
    expect(notice?.email.to).toBe(user.email);
    expect(notice?.email.text).toContain(`${testLimits.account} times`);
    expect(notice?.email.text).toContain(`${testLimits.windowSeconds / 60} minutes`);
    await lockOnce();
    expect(queuedFor(f, user.id).filter((m) => m.kind === "login-locked")).toHaveLength(1);

    const attempt = await attempts.start({ user, identifier: user.username, clientIp: ip });
    expect(await attempt.check(async () => true)).toBe(true);
    await attempt.succeeded();
    await lockOnce();
    expect(queuedFor(f, user.id).filter((m) => m.kind === "login-locked")).toHaveLength(2);
  });

  describe("the day's bound (failures per account per UTC day)", () => {
    const limits = { ...testLimits, day: { password: 8, mfa: 8 } };
    const paced = testLimits.account - 1; // per window: never fills one
    /** 01:00 UTC: the day has 23 h left. */
    const morning = Date.UTC(2030, 0, 1, 1, 0, 0);

    it("stops a guesser who paces below the window's limit: locked to the day's end, the owner told once", async () => {
      const { f, clock, user, fail } = await setup(limits);
      clock.now = morning;
      for (let n = 0; n < limits.day.password; n++) {
        if (n > 0 && n % paced === 0) clock.now += testLimits.windowSeconds * 1_000; // the next window
        expect(await fail()).toBe(false);
      }
      const error = await domainErrorOf(fail());
      expect(error.code).toBe("TOO_MANY_ATTEMPTS");
      const untilMidnight = (Date.UTC(2030, 0, 2) - clock.now) / 1_000;
      expect(error.retryAfterSeconds).toBe(untilMidnight);
      // Still locked in the day's next windows; free the next day.
      clock.now += 2 * testLimits.windowSeconds * 1_000;
      expect((await domainErrorOf(fail())).code).toBe("TOO_MANY_ATTEMPTS");
      clock.now = Date.UTC(2030, 0, 2, 0, 0, 1);
      expect(await fail()).toBe(false);

      await settleBackground(f);
      const notices = queuedFor(f, user.id).filter((m) => m.kind === "login-locked");
      expect(notices).toHaveLength(1);
      expect(notices[0]?.email.text).toContain(`${limits.day.password} times`);
      const locked = f.events.recorded.filter((e) => e.type === "login.locked");
      expect(locked).toEqual([
        expect.objectContaining({
          userId: user.id,
          details: expect.objectContaining({ failures: limits.day.password, per: "day" }),
        }),
      ]);
    });

    it("bounds unknown identifiers the same way, emailing nobody", async () => {
      const { f, clock, attempts } = await setup(limits);
      clock.now = morning;
      const guess = async () => {
        const attempt = await attempts.start({ user: null, identifier: "nobody", clientIp: ip });
        return attempt.check(() => attempts.verifyUnknown("guess"));
      };
      for (let n = 0; n < limits.day.password; n++) {
        if (n > 0 && n % paced === 0) clock.now += testLimits.windowSeconds * 1_000;
        expect(await guess()).toBe(false);
      }
      expect((await domainErrorOf(guess())).retryAfterSeconds).toBe(
        (Date.UTC(2030, 0, 2) - clock.now) / 1_000,
      );
      await settleBackground(f);
      expect(f.store.messages()).toEqual([]);
    });

    it("is lifted, its count too, by clearAccount (after a reset or change); a right password does not count", async () => {
      const { clock, attempts, user, fail } = await setup(limits);
      clock.now = morning;
      const succeed = async () => {
        const attempt = await attempts.start({ user, identifier: user.username, clientIp: ip });
        expect(await attempt.check(async () => true)).toBe(true);
        await attempt.succeeded();
      };
      for (let n = 0; n < limits.day.password; n++) {
        if (n > 0 && n % paced === 0) clock.now += testLimits.windowSeconds * 1_000;
        await succeed(); // successes take no slot of the day
        expect(await fail()).toBe(false);
      }
      expect((await domainErrorOf(fail())).code).toBe("TOO_MANY_ATTEMPTS");
      await attempts.clearAccount(user.id);
      // The day's count went too: a failure now does not lock again.
      expect(await fail()).toBe(false);
      expect(await fail()).toBe(false);
    });
  });

  it("locks unknown identifiers the same way, and emails nobody", async () => {
    const { f, attempts } = await setup();
    const guess = async () => {
      const attempt = await attempts.start({ user: null, identifier: "nobody", clientIp: ip });
      return attempt.check(() => attempts.verifyUnknown("guess"));
    };
    for (let n = 0; n < testLimits.account; n++) expect(await guess()).toBe(false);
    const error = await domainErrorOf(guess());
    expect(error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(error.retryAfterSeconds).toBe(testLimits.windowSeconds);
    await settleBackground(f);
    expect(f.store.messages()).toEqual([]);
  });

  it("a locked account is refused with one read of its lock: no slot is taken or given back", async () => {
    const { f, fail } = await setup({ ...testLimits, account: 100, ip: 1_000 });
    for (let n = 0; n < 100; n++) await fail();
    const claimsBefore = f.claims.keys().length;
    const locksBefore = [...f.locks.all()];
    expect((await domainErrorOf(fail())).code).toBe("TOO_MANY_ATTEMPTS");
    expect(f.claims.keys()).toHaveLength(claimsBefore);
    expect([...f.locks.all()]).toEqual(locksBefore);
  });

  it("throttles every address of an IPv6 /64 as one client", async () => {
    const limits = { ...testLimits, account: 100, ip: 3 };
    const { attempts } = await setup(limits);
    for (let n = 0; n < limits.ip; n++) {
      const attempt = await attempts.start({
        user: null,
        identifier: `nobody${n}`,
        clientIp: `2001:db8:7:7::${n + 1}`,
      });
      await attempt.check(() => attempts.verifyUnknown("guess"));
    }
    const refused = attempts.start({ user: null, identifier: "someone", clientIp: "2001:db8:7:7:abcd::1" });
    expect((await domainErrorOf(refused)).code).toBe("TOO_MANY_ATTEMPTS");
    await attempts.start({ user: null, identifier: "someone", clientIp: "2001:db8:7:8::1" });
  });
});

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
import { deriveKeys, encrypt } from "../crypto";

async function setup() {
  const f = createFakes();
  const secondFactor = secondFactorFor(f);
  const { user: seeded } = await seedUser(f);
  const { secret, recoveryCodes } = await seedMfa(f, seeded.id);
  /** The user as a login reads it now. */
  const user = () => storedUser(f, seeded.id);
  return { f, secondFactor, id: seeded.id, user, secret, recoveryCodes };
}

describe("second factor", () => {
  it("require: nothing asked of users without MFA", async () => {
    const f = createFakes();
    const { user } = await seedUser(f);
    await secondFactorFor(f).require(user, undefined);
    await secondFactorFor(f).require(user, "whatever");
  });

  it("require: MFA_REQUIRED without a code, INVALID_MFA_CODE for a wrong one, passes the right one", async () => {
    const { secondFactor, user, secret } = await setup();
    expect((await domainErrorOf(secondFactor.require(await user(), undefined))).code).toBe("MFA_REQUIRED");
    expect((await domainErrorOf(secondFactor.require(await user(), ""))).code).toBe("MFA_REQUIRED");
    expect((await domainErrorOf(secondFactor.require(await user(), await wrongTotp(secret)))).code).toBe(
      "INVALID_MFA_CODE",
    );
    await secondFactor.require(await user(), await totpIn(secret));
  });

  it("tells the owner once when wrong codes lock the second factor (the password was right)", async () => {
    const { f, secondFactor, id, user, secret } = await setup();
    for (let n = 0; n < testLimits.mfa; n++)
      await domainErrorOf(secondFactor.verify(await user(), await wrongTotp(secret)));
    expect((await domainErrorOf(secondFactor.verify(await user(), await totpIn(secret)))).code).toBe(
      "TOO_MANY_ATTEMPTS",
    );
    const notices = f.store.messages().filter((m) => m.userId === id && m.kind === "mfa-locked");
    expect(notices).toHaveLength(1);
    expect(notices[0]?.email.text).toContain(`wrong two-factor code ${testLimits.mfa} times`);
  });

  it("stops a guesser who paces below the window's limit: the day's bound locks the second factor to the day's end", async () => {
    const f = createFakes();
    const clock = { now: Date.UTC(2030, 0, 1, 1, 0, 0) };
    const limits = { ...testLimits, day: { password: 8, mfa: 8 } };
    const secondFactor = secondFactorFor(f, limits, () => clock.now);
    const { user: seeded } = await seedUser(f);
    const { secret } = await seedMfa(f, seeded.id);
    const paced = testLimits.mfa - 1; // per window: never fills one
    for (let n = 0; n < limits.day.mfa; n++) {
      if (n > 0 && n % paced === 0) clock.now += testLimits.windowSeconds * 1_000;
      const error = await domainErrorOf(
        secondFactor.verify(await storedUser(f, seeded.id), await wrongTotp(secret)),
      );
      expect(error.code).toBe("INVALID_MFA_CODE");
    }
    const locked = await domainErrorOf(
      secondFactor.verify(await storedUser(f, seeded.id), await totpIn(secret)),
    );
    expect(locked.code).toBe("TOO_MANY_ATTEMPTS");
    expect(locked.retryAfterSeconds).toBe((Date.UTC(2030, 0, 2) - clock.now) / 1_000);
    const notices = f.store.messages().filter((m) => m.userId === seeded.id && m.kind === "mfa-locked");
    expect(notices).toHaveLength(1);
    expect(notices[0]?.email.text).toContain(`wrong two-factor code ${limits.day.mfa} times`);
    expect(f.events.recorded.filter((e) => e.type === "login.locked")).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ failures: limits.day.mfa, per: "day" }) }),
    ]);
  });

  it("accepts a TOTP code once: a replay is refused, even from a stale read of the user", async () => {
    const { secondFactor, user, secret } = await setup();
    const stale = await user();
    const code = await totpIn(secret);
    await secondFactor.verify(stale, code);
    expect((await domainErrorOf(secondFactor.verify(stale, code))).code).toBe("INVALID_MFA_CODE");
    expect((await domainErrorOf(secondFactor.verify(await user(), code))).code).toBe("INVALID_MFA_CODE");
  });

  it("refuses codes of steps before the last one accepted", async () => {
    const { secondFactor, user, secret } = await setup();
    await secondFactor.verify(await user(), await totpIn(secret, 1));
    const earlier = await totpIn(secret);
    if (earlier !== (await totpIn(secret, 1))) {
      expect((await domainErrorOf(secondFactor.verify(await user(), earlier))).code).toBe("INVALID_MFA_CODE");
    }
  });

  it("lets one of several simultaneous logins with the same code through", async () => {
    const { secondFactor, user, secret } = await setup();
    const code = await totpIn(secret);
    const read = await user();
    const results = await Promise.allSettled([1, 2, 3].map(() => secondFactor.verify(read, code)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("accepts each recovery code once, ignoring case and separators, and removes it", async () => {
    const { f, secondFactor, user, recoveryCodes, id } = await setup();
    const [code, other] = recoveryCodes;
    if (!code || !other) throw new Error("expected recovery codes");
    const typed = code.toLowerCase().replace("-", " ");
    await secondFactor.verify(await user(), typed);
    expect((await domainErrorOf(secondFactor.verify(await user(), code))).code).toBe("INVALID_MFA_CODE");
    expect((await storedUser(f, id)).mfa?.recovery_hashes).toHaveLength(recoveryCodes.length - 1);
    await secondFactor.verify(await user(), other);
    expect(f.events.types()).toEqual(["mfa.recovery_code_used", "login.failed", "mfa.recovery_code_used"]);
    expect(f.events.recorded[0]).toMatchObject({
      userId: id,
      details: { codes_left: recoveryCodes.length - 1 },
    });
    expect(f.events.recorded[1]).toMatchObject({ userId: id, details: { reason: "second_factor" } });
  });

  it("uses a recovery code once under concurrency, even from one stale read", async () => {
    const { secondFactor, user, recoveryCodes } = await setup();
    const read = await user();
    const code = recoveryCodes[0] ?? "";
    const results = await Promise.allSettled([1, 2, 3].map(() => secondFactor.verify(read, code)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it(`answers 429 after ${testLimits.mfa} wrong codes, even for a right one; a success forgets failures`, async () => {
    const { secondFactor, user, secret } = await setup();
    const wrong = await wrongTotp(secret);
    for (let n = 0; n < testLimits.mfa - 1; n++)
      await domainErrorOf(secondFactor.verify(await user(), wrong));
    await secondFactor.verify(await user(), await totpIn(secret));
    for (let n = 0; n < testLimits.mfa; n++) {
      expect((await domainErrorOf(secondFactor.verify(await user(), wrong))).code).toBe("INVALID_MFA_CODE");
    }
    const error = await domainErrorOf(secondFactor.verify(await user(), await totpIn(secret, 1)));
    expect(error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(testLimits.windowSeconds);
  });

  it("refuses every code when the secret was sealed with another key (no crash)", async () => {
    const { f, secondFactor, id, user, secret } = await setup();
    const otherKey = deriveKeys("another secret key").encryption;
    const { mfa } = await user();
    if (!mfa) throw new Error("MFA state expected");
    f.users.set(id, { mfa: { ...mfa, secret_enc: encrypt(otherKey, secret) } });
    expect((await domainErrorOf(secondFactor.verify(await user(), await totpIn(secret)))).code).toBe(
      "INVALID_MFA_CODE",
    );
  });

  it("refuses a TOTP code of a user without a secret", async () => {
    const f = createFakes();
    const { user } = await seedUser(f);
    expect((await domainErrorOf(secondFactorFor(f).verify(user, "123456"))).code).toBe("INVALID_MFA_CODE");
  });
});

import { describe, expect, it } from "vitest";
import { createFakes, domainErrorOf } from "../../test/fakes";
import { DomainError } from "../errors";
import { createThrottle } from "../throttle";
import { createCheckPasswordStrength } from "./password-strength";

const ip = { clientIp: "203.0.113.9" };

function setup(ipLimit: number | null = null) {
  const f = createFakes();
  const ipThrottle =
    ipLimit === null
      ? null
      : createThrottle({
          claims: f.claims,
          locks: f.locks,
          name: "password-strength-ip",
          limit: ipLimit,
          windowSeconds: 60,
        });
  return { f, check: createCheckPasswordStrength({ policy: f.policy, ipThrottle }) };
}

describe("checkPasswordStrength", () => {
  it("answers the policy's verdict: score, minimum, acceptable, zxcvbn's advice", async () => {
    const { check } = setup();
    const weak = await check({ password: "Password1!" }, ip);
    expect(weak).toMatchObject({ min_score: 3, acceptable: false });
    expect(weak.score).toBeLessThan(3);
    expect(weak.warning).toMatch(/common/i);
    expect(await check({ password: "Tulip-Kettle-Orbit-42" }, ip)).toEqual({
      score: 4,
      min_score: 3,
      acceptable: true,
      warning: null,
      suggestions: [],
    });
  });

  it("counts the caller's user inputs for nothing", async () => {
    const { check } = setup();
    const verdict = await check(
      { password: "Zebulon-Quartermaine-7", user_inputs: ["Zebulon", "Quartermaine"] },
      ip,
    );
    expect(verdict.acceptable).toBe(false);
  });

  it("stores nothing", async () => {
    const { f, check } = setup();
    await check({ password: "Tulip-Kettle-Orbit-42" }, ip);
    expect(f.users.all()).toEqual([]);
    expect(f.claims.keys()).toEqual([]);
  });

  it("throttles per client network when it has a throttle", async () => {
    const { check } = setup(2);
    await check({ password: "a" }, ip);
    await check({ password: "ab" }, ip);
    const refused = await domainErrorOf(check({ password: "abc" }, ip));
    expect(refused.code).toBe("TOO_MANY_ATTEMPTS");
    await expect(check({ password: "abc" }, { clientIp: "198.51.100.9" })).resolves.toMatchObject({
      score: 0,
    });
  });

  it("gives the throttle slot back when the estimator is busy (SERVICE_BUSY leaves no trace)", async () => {
    const f = createFakes();
    const ipThrottle = createThrottle({
      claims: f.claims,
      locks: f.locks,
      name: "password-strength-ip",
      limit: 2,
      windowSeconds: 60,
    });
    let busy = true;
    const policy = {
      judge: (...args: Parameters<typeof f.policy.judge>) =>
        busy
          ? Promise.reject(new DomainError("SERVICE_BUSY", "busy", { retryAfterSeconds: 1 }))
          : f.policy.judge(...args),
    };
    const check = createCheckPasswordStrength({ policy, ipThrottle });
    for (let n = 0; n < 4; n++)
      expect((await domainErrorOf(check({ password: "a" }, ip))).code).toBe("SERVICE_BUSY");
    busy = false;
    await check({ password: "a" }, ip);
    await check({ password: "ab" }, ip);
    expect((await domainErrorOf(check({ password: "abc" }, ip))).code).toBe("TOO_MANY_ATTEMPTS");
  });
});

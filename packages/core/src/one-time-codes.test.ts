import { afterEach, describe, expect, it, vi } from "vitest";
import { activationCodes, createFakes, otherCode } from "../test/fakes";
import { hashCode } from "./crypto";
import { maxCodeAttempts, wrongCodeMessage } from "./one-time-codes";

const group = "user:test";

function setup() {
  const f = createFakes();
  const codes = activationCodes(f);
  const { code, state } = codes.newCode(10);
  return { f, codes, code, state };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("one-time codes", () => {
  it("makes 6-digit codes stored only as a keyed hash, expiring after their lifetime", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const { f, code, state } = setup();
    expect(code).toMatch(/^\d{6}$/);
    expect(state.code_hash).toBe(hashCode(f.keys.codeHashing, code));
    expect(JSON.stringify(state)).not.toContain(code);
    expect(state.expires_at.getTime() - Date.now()).toBe(10 * 60_000);
    expect(state.attempts).toBe(0);
    expect(state.sent_at.getTime()).toBe(Date.now());
  });

  it("accepts the right code once; a second use is refused", async () => {
    const { codes, code, state } = setup();
    expect((await codes.check({ group, state, code })).outcome).toBe("ok");
    expect((await codes.check({ group, state, code })).outcome).toBe("used");
  });

  it(`allows ${maxCodeAttempts} tries in all, the right one included`, async () => {
    const { codes, code, state } = setup();
    const wrong = otherCode(code);
    for (let n = 1; n < maxCodeAttempts; n++) {
      expect(await codes.check({ group, state, code: wrong })).toEqual({
        outcome: "wrong",
        triesLeft: maxCodeAttempts - n,
      });
    }
    expect((await codes.check({ group, state, code })).outcome).toBe("ok");
  });

  it(`locks the code after ${maxCodeAttempts} wrong tries, even for the right code`, async () => {
    const { codes, code, state } = setup();
    const wrong = otherCode(code);
    for (let n = 1; n <= maxCodeAttempts; n++) await codes.check({ group, state, code: wrong });
    expect((await codes.check({ group, state, code })).outcome).toBe("locked");
  });

  it("locks a code whose stored wrong tries reached the limit, without taking a try", async () => {
    const { f, codes, code, state } = setup();
    const before = f.claims.keys().length;
    const check = await codes.check({ group, state: { ...state, attempts: maxCodeAttempts }, code });
    expect(check.outcome).toBe("locked");
    expect(f.claims.keys()).toHaveLength(before);
  });

  it("lets concurrency stretch neither the tries nor the single use", async () => {
    const { codes, code, state } = setup();
    const wrong = await Promise.all(
      Array.from({ length: 3 * maxCodeAttempts }, () => codes.check({ group, state, code: otherCode(code) })),
    );
    expect(wrong.filter((c) => c.outcome === "wrong")).toHaveLength(maxCodeAttempts);
    expect(wrong.filter((c) => c.outcome === "locked")).toHaveLength(2 * maxCodeAttempts);

    const fresh = setup();
    const right = await Promise.all(
      Array.from({ length: maxCodeAttempts }, () =>
        fresh.codes.check({ group, state: fresh.state, code: fresh.code }),
      ),
    );
    expect(right.filter((c) => c.outcome === "ok")).toHaveLength(1);
    expect(right.filter((c) => c.outcome === "used")).toHaveLength(maxCodeAttempts - 1);
  });

  it("refuses an expired code (from the instant it expires), even the right one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const { codes, code, state } = setup();
    vi.setSystemTime(state.expires_at.getTime() - 1);
    expect((await codes.check({ group, state, code: otherCode(code) })).outcome).toBe("wrong");
    vi.setSystemTime(state.expires_at);
    expect((await codes.check({ group, state, code })).outcome).toBe("expired");
  });

  it("gives the single use back on undo (the write it guarded failed)", async () => {
    const { codes, code, state } = setup();
    const first = await codes.check({ group, state, code });
    if (first.outcome !== "ok") throw new Error(`expected ok, got ${first.outcome}`);
    await first.undo();
    expect((await codes.check({ group, state, code })).outcome).toBe("ok");
    expect((await codes.check({ group, state, code })).outcome).toBe("used");
  });

  it("grants the replacement of a code once, again after it is released", async () => {
    const { codes, state } = setup();
    const claims = await Promise.all([1, 2, 3].map(() => codes.claimReplacement(group, state)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await codes.releaseReplacement(state);
    expect(await codes.claimReplacement(group, state)).toBe(true);
    expect(await codes.claimReplacement(group, state)).toBe(false);
  });

  it("files its claims under the group, to be forgotten with the user", async () => {
    const { f, codes, code, state } = setup();
    await codes.check({ group, state, code });
    await codes.claimReplacement(group, state);
    expect(await f.claims.count(group)).toBe(3); // one try, the use, the replacement
    await f.claims.releaseGroup(group);
    expect((await codes.check({ group, state, code })).outcome).toBe("ok");
  });

  it("says how many tries are left, and when none is", () => {
    expect(wrongCodeMessage("activation code", 2)).toContain("2 tries left");
    expect(wrongCodeMessage("activation code", 1)).toContain("1 try left");
    expect(wrongCodeMessage("activation code", 0)).toContain("last try");
  });
});

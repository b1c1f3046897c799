import { afterEach, describe, expect, it, vi } from "vitest";
import { activationCodes, createFakes, emailChangeCodes, otherCode } from "../test/fakes";
import { hashCode } from "./crypto";
import { userIdOfLinkToken } from "./link-tokens";
import {
  maxCodeAttempts,
  maxCodeTriesPerDay,
  maxResendWaitSeconds,
  secondsUntilReplaceable,
} from "./one-time-codes";

const userId = "63a1f1234abc5678def12345";
const group = `user:${userId}`;

function setup() {
  const f = createFakes();
  const codes = activationCodes(f);
  const { code, token, state } = codes.newCode({ lifetimeMinutes: 10, userId });
  return { f, codes, code, token, state };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("one-time codes", () => {
  it("makes 6-digit codes and 32-byte link tokens, stored only as keyed hashes, expiring together", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const { f, code, token, state } = setup();
    expect(code).toMatch(/^\d{6}$/);
    expect(token).toMatch(/^[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/);
    expect(userIdOfLinkToken(token)).toBe(userId);
    expect(state.code_hash).toBe(hashCode(f.keys.codeHashing, code));
    expect(state.token_hash).toBe(hashCode(f.keys.codeHashing, token));
    expect(JSON.stringify(state)).not.toContain(code);
    expect(JSON.stringify(state)).not.toContain(token.split(".")[1]);
    expect(state.expires_at.getTime() - Date.now()).toBe(10 * 60_000);
    expect(state).toMatchObject({ attempts: 0, resends: 0 });
    expect(state.sent_at.getTime()).toBe(Date.now());
  });

  it("accepts the right code once; a second use is refused", async () => {
    const { codes, code, state } = setup();
    expect((await codes.check({ userId, state, code })).outcome).toBe("ok");
    expect((await codes.check({ userId, state, code })).outcome).toBe("used");
  });

  it(`allows ${maxCodeAttempts} tries in all, the right one included`, async () => {
    const { codes, code, state } = setup();
    const wrong = otherCode(code);
    for (let n = 1; n < maxCodeAttempts; n++) {
      expect(await codes.check({ userId, state, code: wrong })).toEqual({ outcome: "wrong" });
    }
    expect((await codes.check({ userId, state, code })).outcome).toBe("ok");
  });

  it(`locks the code after ${maxCodeAttempts} wrong tries, even for the right code`, async () => {
    const { codes, code, state } = setup();
    const wrong = otherCode(code);
    for (let n = 1; n <= maxCodeAttempts; n++) await codes.check({ userId, state, code: wrong });
    expect((await codes.check({ userId, state, code })).outcome).toBe("locked");
  });

  it("locks a code whose stored wrong tries reached the limit, without taking a try", async () => {
    const { f, codes, code, state } = setup();
    const before = f.claims.keys().length;
    const check = await codes.check({ userId, state: { ...state, attempts: maxCodeAttempts }, code });
    expect(check.outcome).toBe("locked");
    expect(f.claims.keys()).toHaveLength(before);
  });

  it(`bounds an account to ${maxCodeTriesPerDay} wrong codes a day across all its codes, then refuses even the right one`, async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const f = createFakes();
    const activation = activationCodes(f);
    const emailChange = emailChangeCodes(f);
    let judged = 0;
    // Fresh codes (as resends would bring), activation and email change alternating.
    for (let i = 0; judged < maxCodeTriesPerDay; i++) {
      const codes = i % 2 === 0 ? activation : emailChange;
      const { code, state } = codes.newCode({ lifetimeMinutes: 10, userId });
      for (let n = 0; n < maxCodeAttempts - 1 && judged < maxCodeTriesPerDay; n++) {
        expect((await codes.check({ userId, state, code: otherCode(code) })).outcome).toBe("wrong");
        judged++;
      }
    }
    const { code, token, state } = activation.newCode({ lifetimeMinutes: 10, userId });
    expect((await activation.check({ userId, state, code })).outcome).toBe("limited");
    // Another account is not affected; the link still works; the next day starts afresh.
    const other = activation.newCode({ lifetimeMinutes: 10, userId: "63a1f1234abc5678def00000" });
    expect(
      (await activation.check({ userId: "63a1f1234abc5678def00000", state: other.state, code: other.code }))
        .outcome,
    ).toBe("ok");
    expect((await activation.checkToken({ userId, state, token })).outcome).toBe("ok");
    vi.setSystemTime(new Date("2030-01-02T00:00:00Z"));
    const tomorrow = activation.newCode({ lifetimeMinutes: 10, userId });
    expect((await activation.check({ userId, state: tomorrow.state, code: tomorrow.code })).outcome).toBe(
      "ok",
    );
  });

  it("counts only wrong codes against the day, under any concurrency", async () => {
    const { f, codes, code, state } = setup();
    expect((await codes.check({ userId, state, code })).outcome).toBe("ok");
    expect(f.claims.keys().filter((k) => k.startsWith("throttle:codes:"))).toEqual([]);
    const many = await Promise.all(
      Array.from({ length: 10 }, () => {
        const fresh = codes.newCode({ lifetimeMinutes: 10, userId });
        return Promise.all(
          Array.from({ length: 4 }, () =>
            codes.check({ userId, state: fresh.state, code: otherCode(fresh.code) }),
          ),
        );
      }),
    );
    const outcomes = many.flat().map((c) => c.outcome);
    expect(outcomes.filter((o) => o === "wrong")).toHaveLength(maxCodeTriesPerDay);
    expect(outcomes.filter((o) => o === "limited")).toHaveLength(40 - maxCodeTriesPerDay);
  });

  it("lets concurrency stretch neither the tries nor the single use", async () => {
    const { codes, code, state } = setup();
    const wrong = await Promise.all(
      Array.from({ length: 3 * maxCodeAttempts }, () =>
        codes.check({ userId, state, code: otherCode(code) }),
      ),
    );
    expect(wrong.filter((c) => c.outcome === "wrong")).toHaveLength(maxCodeAttempts);
    expect(wrong.filter((c) => c.outcome === "locked")).toHaveLength(2 * maxCodeAttempts);

    const fresh = setup();
    const right = await Promise.all(
      Array.from({ length: maxCodeAttempts }, () =>
        fresh.codes.check({ userId, state: fresh.state, code: fresh.code }),
      ),
    );
    expect(right.filter((c) => c.outcome === "ok")).toHaveLength(1);
    expect(right.filter((c) => c.outcome === "used")).toHaveLength(maxCodeAttempts - 1);
  });

  it("refuses an expired code (from the instant it expires), even the right one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const { codes, code, token, state } = setup();
    vi.setSystemTime(state.expires_at.getTime() - 1);
    expect((await codes.check({ userId, state, code: otherCode(code) })).outcome).toBe("wrong");
    vi.setSystemTime(state.expires_at);
    expect((await codes.check({ userId, state, code })).outcome).toBe("expired");
    expect((await codes.checkToken({ userId, state, token })).outcome).toBe("expired");
  });

  it("accepts the link's token after the code is locked, taking no try; token and code share one use", async () => {
    const { f, codes, code, token, state } = setup();
    for (let n = 1; n <= maxCodeAttempts; n++) await codes.check({ userId, state, code: otherCode(code) });
    expect((await codes.check({ userId, state, code })).outcome).toBe("locked");
    const tries = f.claims.keys().length;
    const forged = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect((await codes.checkToken({ userId, state, token: `${token}x` })).outcome).toBe("wrong");
    expect((await codes.checkToken({ userId, state, token: forged })).outcome).toBe("wrong");
    expect(f.claims.keys()).toHaveLength(tries);
    expect((await codes.checkToken({ userId, state, token })).outcome).toBe("ok");
    expect((await codes.checkToken({ userId, state, token })).outcome).toBe("used");
    const fresh = setup();
    expect((await fresh.codes.check({ userId, state: fresh.state, code: fresh.code })).outcome).toBe("ok");
    expect((await fresh.codes.checkToken({ userId, state: fresh.state, token: fresh.token })).outcome).toBe(
      "used",
    );
  });

  it("refuses every token for a code sent before links existed", async () => {
    const { codes, token, state } = setup();
    expect((await codes.checkToken({ userId, state: { ...state, token_hash: null }, token })).outcome).toBe(
      "wrong",
    );
  });

  it("gives the single use back on undo (the write it guarded failed)", async () => {
    const { codes, code, state } = setup();
    const first = await codes.check({ userId, state, code });
    if (first.outcome !== "ok") throw new Error(`expected ok, got ${first.outcome}`);
    await first.undo();
    expect((await codes.check({ userId, state, code })).outcome).toBe("ok");
    expect((await codes.check({ userId, state, code })).outcome).toBe("used");
  });

  it("grants the replacement of a code once, again after it is released", async () => {
    const { codes, state } = setup();
    const claims = await Promise.all([1, 2, 3].map(() => codes.claimReplacement(userId, state)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await codes.releaseReplacement(state);
    expect(await codes.claimReplacement(userId, state)).toBe(true);
    expect(await codes.claimReplacement(userId, state)).toBe(false);
  });

  it("files its claims under the user's group, to be forgotten with the user", async () => {
    const { f, codes, code, state } = setup();
    await codes.check({ userId, state, code });
    await codes.claimReplacement(userId, state);
    expect(await f.claims.count(group)).toBe(3); // one try, the use, the replacement
    await f.claims.releaseGroup(group);
    expect((await codes.check({ userId, state, code })).outcome).toBe("ok");
  });

  it("backs resends off: each replacement within a day doubles the wait, at most a day", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const { codes, state } = setup();
    expect(secondsUntilReplaceable(state, 60)).toBe(60);
    let current = state;
    for (let n = 1; n <= 3; n++) {
      current = codes.newCode({ lifetimeMinutes: 10, userId, replacing: current }).state;
      expect(current.resends).toBe(n);
      expect(secondsUntilReplaceable(current, 60)).toBe(60 * 2 ** n);
    }
    expect(secondsUntilReplaceable({ ...current, resends: 30 }, 60)).toBe(maxResendWaitSeconds);
    vi.setSystemTime(Date.now() + 480_000);
    expect(secondsUntilReplaceable(current, 60)).toBe(0);
    // A day after the last code, the count starts again.
    vi.setSystemTime(current.sent_at.getTime() + 86_400_001);
    expect(codes.newCode({ lifetimeMinutes: 10, userId, replacing: current }).state.resends).toBe(0);
    expect(secondsUntilReplaceable(state, 0)).toBe(0);
  });
});

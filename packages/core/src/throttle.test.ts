import { describe, expect, it, vi } from "vitest";
import { type FakeClaims, type FakeThrottleLocks, fakeClaims, fakeThrottleLocks } from "../test/fakes";
import type { ClaimStore, ThrottleLockStore } from "./ports";
import { createThrottle, type ThrottleOptions } from "./throttle";

const window = 60;
const day = 86_400;

/** A throttle over fresh fakes with a clock the test moves; every store call is counted. */
function setup(overrides: Partial<ThrottleOptions> = {}) {
  const clock = { now: 1_000_000 * window * 1_000 };
  const calls = { count: 0 };
  const counted = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls.count++;
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  const claims: FakeClaims = fakeClaims();
  const locks: FakeThrottleLocks = fakeThrottleLocks();
  const throttle = createThrottle({
    claims: counted<ClaimStore>(claims),
    locks: counted<ThrottleLockStore>(locks),
    name: "t",
    limit: 3,
    windowSeconds: window,
    now: () => clock.now,
    ...overrides,
  });
  /** Takes `n` slots of `key` (failed attempts keep them). */
  const fail = async (key: string, n: number) => {
    for (let i = 0; i < n; i++) expect((await throttle.acquire(key)).retryAfter).toBe(0);
  };
  return { clock, calls, claims, locks, throttle, fail };
}

describe("throttle", () => {
  it("a last slot given back leaves a lock that replaced its own (a day's bound) in place", async () => {
    const { throttle, fail } = setup();
    await fail("k", 2);
    const last = await throttle.acquire("k");
    expect(last.locked).not.toBeNull();
    await throttle.lockFor("k", 3_600); // the day's bound, written meanwhile
    await last.release();
    expect((await throttle.acquire("k")).retryAfter).toBe(3_600);
  });

  it("lockFor locks for a bound kept elsewhere, never shortens a longer lock, and keeps the series", async () => {
    const { clock, throttle, fail } = setup({ escalation: { maxSeconds: day, memorySeconds: day } });
    await throttle.lockFor("k", 600);
    expect((await throttle.acquire("k")).retryAfter).toBe(600);
    await throttle.lockFor("k", 60); // shorter: the 10 minutes stay
    expect((await throttle.acquire("k")).retryAfter).toBe(600);
    clock.now += 600_000;
    // A lock of the series comes next: locks kept by lockFor add no level (the first is a window's).
    await fail("k", 3);
    expect((await throttle.acquire("k")).retryAfter).toBe(window);
    clock.now += window * 1_000;
    await throttle.lockFor("k", 30);
    clock.now += 30_000;
    const [, , last] = [
      await throttle.acquire("k"),
      await throttle.acquire("k"),
      await throttle.acquire("k"),
    ];
    expect(last?.locked?.level).toBe(2); // the series went on through the kept lock
  });

  it("refuses attempts past the limit until the window ends; clear and a given-back last slot reopen", async () => {
    const { clock, throttle } = setup();
    const tickets = [
      await throttle.acquire("alice"),
      await throttle.acquire("alice"),
      await throttle.acquire("alice"),
    ];
    expect(tickets.map((t) => t.retryAfter)).toEqual([0, 0, 0]);
    expect(tickets.map((t) => t.locked)).toEqual([null, null, { level: 1, seconds: window, attempts: 3 }]);
    const refused = await throttle.acquire("alice");
    expect(refused.retryAfter).toBe(window);
    expect((await throttle.acquire("bob")).retryAfter).toBe(0);

    // The last slot given back (its attempt never ran) takes its lock with it.
    await tickets[2]?.release();
    expect((await throttle.acquire("alice")).retryAfter).toBe(0);
    expect((await throttle.acquire("alice")).retryAfter).toBeGreaterThan(0);

    await throttle.clear("alice");
    expect((await throttle.acquire("alice")).retryAfter).toBe(0);
    await throttle.acquire("alice");
    await throttle.acquire("alice");
    clock.now += 30_000;
    expect((await throttle.acquire("alice")).retryAfter).toBe(30);
    clock.now += 30_000;
    expect((await throttle.acquire("alice")).retryAfter).toBe(0);
  });

  it("admits exactly `limit` of many simultaneous attempts", async () => {
    const { throttle } = setup();
    const tickets = await Promise.all(Array.from({ length: 10 }, () => throttle.acquire("k")));
    expect(tickets.filter((t) => t.retryAfter === 0)).toHaveLength(3);
    expect((await throttle.acquire("k")).retryAfter).toBeGreaterThan(0);
  });

  for (const limit of [5, 100]) {
    it(`refuses a full key with one store call, whatever the limit (${limit})`, async () => {
      const { calls, throttle, fail } = setup({ limit });
      await fail("k", limit);
      calls.count = 0;
      const check = await throttle.check("k");
      expect(check.retryAfter).toBeGreaterThan(0);
      expect((await check.acquire()).retryAfter).toBe(check.retryAfter);
      expect(calls.count).toBe(1);
      calls.count = 0;
      expect((await throttle.acquire("k")).retryAfter).toBeGreaterThan(0);
      expect(calls.count).toBe(1);
    });
  }

  it("locks again when the slots were all taken but the lock was lost (one scan, then one read)", async () => {
    const { clock, calls, locks, throttle, fail } = setup();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(clock.now); // the claims' clock
    try {
      await fail("k", 3);
      await locks.remove("throttle:t:k");
      // Within a moment of the last slot's claim its writer may still be writing the lock:
      // refused, but nothing healed (written) yet.
      expect((await throttle.acquire("k")).retryAfter).toBeGreaterThan(0);
      expect(await locks.find("throttle:t:k")).toBeNull();
      clock.now += 6_000;
      vi.setSystemTime(clock.now);
      expect((await throttle.acquire("k")).retryAfter).toBeGreaterThan(0);
      calls.count = 0;
      expect((await throttle.acquire("k")).retryAfter).toBeGreaterThan(0);
      expect(calls.count).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("never overwrites a live lock written while a refused attempt was trying the slots", async () => {
    const escalation = { maxSeconds: day, memorySeconds: day };
    const locks = fakeThrottleLocks();
    let staleReads = 1; // the refused attempt read the lock before the last slot's writer wrote it
    const racing: ThrottleLockStore = {
      ...locks,
      find: async (key) => (staleReads-- > 0 ? null : locks.find(key)),
    };
    const clock = { now: 1_000_000 * window * 1_000 };
    const throttle = createThrottle({
      claims: fakeClaims(),
      locks: racing,
      name: "t",
      limit: 1,
      windowSeconds: window,
      escalation,
      now: () => clock.now,
    });
    const escalated = {
      until: new Date(clock.now + 4 * window * 1_000),
      level: 3,
      forgetAt: new Date(clock.now + 2 * day * 1_000),
    };
    await throttle.acquire("k"); // takes the only slot (its lock is replaced below by a later level)
    await locks.save("throttle:t:k", escalated);
    staleReads = 1;
    const refused = await throttle.acquire("k");
    expect(refused.retryAfter).toBe(4 * window);
    expect(await locks.find("throttle:t:k")).toEqual(escalated);
  });

  it("without escalation, a new window opens a fresh set of slots and locks", async () => {
    const { clock, throttle, fail } = setup();
    await fail("k", 3);
    clock.now += window * 1_000;
    await fail("k", 2);
    const last = await throttle.acquire("k");
    expect(last.locked).toEqual({ level: 1, seconds: window, attempts: 3 });
  });
});

describe("a success's clear", () => {
  it("frees the window's slots; deletes the lock record only when there is one to delete", async () => {
    const { calls, locks, throttle, fail } = setup();
    await fail("alice", 1);
    // No lock was read and the attempt set none: the slots go, no lock delete is sent.
    const open = await throttle.check("alice");
    const ticket = await open.acquire();
    const removes = vi.spyOn(locks, "remove");
    calls.count = 0;
    await open.clear(ticket);
    expect(calls.count).toBe(1);
    expect(removes).not.toHaveBeenCalled();
    await fail("alice", 3); // all three slots free again

    // The attempt that took the last slot set the lock: its success deletes it.
    const { throttle: other, fail: failOther, locks: otherLocks } = setup();
    await failOther("bob", 2);
    const last = await other.check("bob");
    const locking = await last.acquire();
    expect(locking.locked).not.toBeNull();
    await last.clear(locking);
    expect(await otherLocks.find("throttle-lock:t:bob")).toBeNull();
    expect((await other.acquire("bob")).retryAfter).toBe(0);
  });

  it("deletes a remembered series read by the check (the success forgets it)", async () => {
    const escalation = { maxSeconds: day, memorySeconds: day };
    const { clock, throttle, fail } = setup({ escalation });
    await fail("alice", 3); // locked once
    clock.now += window * 1_000 + 1; // lock over, series remembered
    const open = await throttle.check("alice");
    await open.clear(await open.acquire());
    await fail("alice", 3); // the next lock starts a new series: level 1, one window
    const ticket = await throttle.acquire("alice");
    expect(ticket.retryAfter).toBe(window);
  });
});

describe("escalating throttle", () => {
  const escalation = { maxSeconds: day, memorySeconds: day };

  it("doubles the lock for each consecutive lock of a series, capped, from the failure that locks", async () => {
    const { clock, throttle, fail } = setup({ escalation });
    const seen: number[] = [];
    for (let lock = 1; lock <= 14; lock++) {
      clock.now += 7_000; // anywhere in a window: the lock runs from the locking attempt
      await fail("k", 2);
      const last = await throttle.acquire("k");
      expect(last.retryAfter).toBe(0);
      expect(last.locked?.level).toBe(lock);
      const refused = await throttle.acquire("k");
      seen.push(refused.retryAfter);
      clock.now += (refused.retryAfter - 1) * 1_000;
      expect((await throttle.acquire("k")).retryAfter).toBe(1);
      clock.now += 1_000;
    }
    expect(seen.slice(0, 6)).toEqual([60, 120, 240, 480, 960, 1_920]);
    expect(Math.max(...seen)).toBe(day);
    expect(seen.at(-1)).toBe(day);
  });

  it("forgets a series at clear (a success) and after a quiet memory period", async () => {
    const { clock, throttle, fail } = setup({ escalation });
    await fail("k", 3);
    clock.now += window * 1_000;
    await fail("k", 2);
    expect((await throttle.acquire("k")).locked?.level).toBe(2);
    await throttle.clear("k");
    await fail("k", 2);
    expect((await throttle.acquire("k")).locked?.level).toBe(1);

    clock.now += (window + day) * 1_000 + 1;
    await fail("k", 2);
    expect((await throttle.acquire("k")).locked?.level).toBe(1);
  });

  it("a given-back locking slot puts the series back as it was", async () => {
    const { clock, throttle, fail } = setup({ escalation });
    await fail("k", 3);
    clock.now += window * 1_000;
    await fail("k", 2);
    const locking = await throttle.acquire("k");
    expect(locking.locked?.level).toBe(2);
    await locking.release();
    const again = await throttle.acquire("k");
    expect(again.locked?.level).toBe(2);
  });

  it("keeps keys and throttles apart", async () => {
    const { claims, locks, fail } = setup({ escalation });
    await fail("a", 3);
    const other = createThrottle({ claims, locks, name: "u", limit: 3, windowSeconds: window, escalation });
    expect((await other.acquire("a")).retryAfter).toBe(0);
  });
});

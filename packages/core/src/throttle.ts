import { claimKeys } from "./claim-keys";
import type { ClaimStore, ThrottleLock, ThrottleLockStore } from "./ports";

/**
 * A slot taken for one attempt (`retryAfter` 0), or a refusal (`retryAfter` seconds to wait;
 * `release` does nothing). `locked` is the lock this attempt's slot set, the last one: the
 * key is locked for `seconds` unless the attempt succeeds (`clear`) or is given back.
 */
export type ThrottleTicket = {
  retryAfter: number;
  /** Gives the slot back (an attempt that never reached its check), with the lock it set. */
  release(): Promise<void>;
  locked: { level: number; seconds: number; attempts: number } | null;
};

/** The lock of a key as read before an attempt: `retryAfter` > 0 while locked. */
export type ThrottleCheck = {
  retryAfter: number;
  /** Takes a slot (refused when none is left), after this check found the key open. */
  acquire(): Promise<ThrottleTicket>;
  /**
   * `Throttle.clear` after the attempt of `ticket` succeeded, without the lock's delete when
   * there is none to delete: this check read no lock record (nor a remembered series) and
   * the ticket set none. A lock another attempt writes meanwhile would survive it as it
   * survives a clear that runs before that write: the same outcome, one write less.
   */
  clear(ticket: ThrottleTicket): Promise<void>;
};

/** A counter of attempts per key in fixed windows, shared by every instance through MongoDB. */
export type Throttle = {
  /** Reads the key's lock: one database read, whatever the limit. */
  check(key: string): Promise<ThrottleCheck>;
  /** `check`, then a slot when the key is open. */
  acquire(key: string): Promise<ThrottleTicket>;
  /** Forgets the key's slots in the current window and its lock (e.g. after a success). */
  clear(key: string): Promise<void>;
  /**
   * Locks the key for `seconds` from now for a bound kept elsewhere (failures per day),
   * keeping its lock series; a lock that already lasts as long stays as it is.
   */
  lockFor(key: string, seconds: number): Promise<void>;
};

/** Locks double per lock of a series up to this (24 h), unless told otherwise. */
export const maxLockSeconds = 86_400;

export type ThrottleOptions = {
  claims: ClaimStore;
  locks: ThrottleLockStore;
  name: string;
  limit: number;
  windowSeconds: number;
  /**
   * Escalating locks: the attempt that takes the last slot locks the key for the window's
   * length, doubled for each earlier lock of the series (capped at `maxSeconds`); a series
   * is forgotten `memorySeconds` after its last lock ends, or at `clear`. Without it, a
   * full key is locked until its window ends.
   */
  escalation?: { maxSeconds: number; memorySeconds: number };
  now?: () => number;
};

/**
 * Slots are claims `throttle:<name>:<key>:<window>:<n>` for n = 1..limit, taken in order:
 * exact under any concurrency, which a `$inc` counter is not on FerretDB. The attempt that
 * claims slot `limit` writes the key's lock (one record per key, ThrottleLockStore), and
 * every attempt reads that lock first: a refused attempt costs one read instead of `limit`
 * failed inserts. Only `_id` operations are used (FerretDB answers those from its index).
 * Slot claims expire with their window and are swept by `ClaimStore.sweep`.
 */
/** How long the attempt that took a key's last slot has to write its lock before others heal it. */
const healAfterMs = 5_000;

export function createThrottle(options: ThrottleOptions): Throttle {
  const { claims, locks, limit, escalation } = options;
  const windowMs = options.windowSeconds * 1_000;
  const now = options.now ?? Date.now;
  const windowOf = (at: number) => Math.floor(at / windowMs);
  const slotGroup = (key: string, window: number) => claimKeys.throttleWindow(options.name, key, window);
  const lockKey = (key: string) => claimKeys.throttleLock(options.name, key);
  const secondsUntil = (at: number) => Math.max(1, Math.ceil((at - now()) / 1_000));
  /** The series a new lock continues, if any (an expired lock still remembered). */
  const remembered = (lock: ThrottleLock | null) => (lock && lock.forgetAt.getTime() > now() ? lock : null);

  /** The lock the last slot sets: to the window's end, or escalated. */
  const nextLock = (previous: ThrottleLock | null, at: number): ThrottleLock => {
    if (!escalation) {
      const until = new Date((windowOf(at) + 1) * windowMs);
      return { until, level: 1, forgetAt: until };
    }
    const level = (remembered(previous)?.level ?? 0) + 1;
    const ms = Math.min(escalation.maxSeconds * 1_000, windowMs * 2 ** Math.min(level - 1, 30));
    const until = new Date(at + ms);
    return { until, level, forgetAt: new Date(until.getTime() + escalation.memorySeconds * 1_000) };
  };

  /** A lock to `until` that adds no level: the series of `previous` (if remembered) goes on. */
  const keepingSeries = (previous: ThrottleLock | null, until: Date): ThrottleLock => {
    const kept = remembered(previous);
    const forgetAt = new Date(Math.max(until.getTime(), kept?.forgetAt.getTime() ?? 0));
    return { until, level: kept?.level ?? 0, forgetAt };
  };

  /**
   * Every slot was taken but no lock was found (its writer failed, or gave it back while
   * others were taking slots): lock to the window's end, keeping the series' level.
   */
  const healLock = (previous: ThrottleLock | null, at: number): ThrottleLock =>
    keepingSeries(previous, new Date((windowOf(at) + 1) * windowMs));

  const refused = (until: Date): ThrottleTicket => ({
    retryAfter: secondsUntil(until.getTime()),
    release: async () => {},
    locked: null,
  });

  const takeSlot = async (key: string, previous: ThrottleLock | null): Promise<ThrottleTicket> => {
    const at = now();
    const window = windowOf(at);
    const group = slotGroup(key, window);
    const expiresAt = new Date((window + 1) * windowMs);
    for (let n = 1; n <= limit; n++) {
      const slot = `${group}:${n}`;
      if (!(await claims.claim(slot, group, expiresAt))) continue;
      if (n < limit) return { retryAfter: 0, release: () => claims.release(slot), locked: null };
      const lock = nextLock(previous, at);
      try {
        await locks.save(lockKey(key), lock);
      } catch (error) {
        await claims.release(slot).catch(() => {});
        throw error;
      }
      return {
        retryAfter: 0,
        // Given back: the lock it set goes too (the previous record, if any, is put back),
        // unless another lock replaced it meanwhile (a day's bound, lockFor): that one stays.
        release: async () => {
          await claims.release(slot);
          const current = await locks.find(lockKey(key));
          if (current && current.until.getTime() !== lock.until.getTime()) return;
          await (previous ? locks.save(lockKey(key), previous) : locks.remove(lockKey(key)));
        },
        locked: {
          level: lock.level,
          seconds: Math.round((lock.until.getTime() - at) / 1_000),
          attempts: limit,
        },
      };
    }
    // Every slot taken, and no lock was read before trying them. Most often the attempt that
    // took the last slot is writing its (maybe escalated) lock right now: never overwrite a
    // live lock, nor heal within a moment of the last slot's claim; heal only a lost lock.
    const current = await locks.find(lockKey(key));
    if (current && current.until.getTime() > at) return refused(current.until);
    const lastTaken = await claims.claimedAt(`${group}:${limit}`);
    if (lastTaken && at - lastTaken.getTime() < healAfterMs) return refused(expiresAt);
    const lock = healLock(current ?? previous, at);
    await locks.save(lockKey(key), lock);
    return refused(lock.until);
  };

  const releaseSlots = (key: string) => {
    const group = slotGroup(key, windowOf(now()));
    return claims.releaseKeys(Array.from({ length: limit }, (_, i) => `${group}:${i + 1}`));
  };
  const clear: Throttle["clear"] = async (key) => {
    await releaseSlots(key);
    await locks.remove(lockKey(key));
  };

  const check: Throttle["check"] = async (key) => {
    const lock = await locks.find(lockKey(key));
    if (lock && lock.until.getTime() > now()) {
      const ticket = refused(lock.until);
      return { retryAfter: ticket.retryAfter, acquire: async () => ticket, clear: () => clear(key) };
    }
    return {
      retryAfter: 0,
      acquire: () => takeSlot(key, lock),
      clear: (ticket) => (lock === null && ticket.locked === null ? releaseSlots(key) : clear(key)),
    };
  };

  const lockFor: Throttle["lockFor"] = async (key, seconds) => {
    const until = new Date(now() + seconds * 1_000);
    const current = await locks.find(lockKey(key));
    if (current && current.until.getTime() >= until.getTime()) return;
    await locks.save(lockKey(key), keepingSeries(current, until));
  };

  return { check, acquire: async (key) => (await check(key)).acquire(), clear, lockFor };
}

/**
 * Counts one failure against a bound per day (`day`: a throttle with a one-day window, its
 * slots taken on failures only, so that successes cost nothing more). The failure that
 * reaches the bound, and any past it, locks `key` on `throttle` to the day's end: the one
 * lock read every attempt makes already refuses. Returns the lock the bound set (the first
 * time), for the caller's event and notice.
 */
export async function countFailurePerDay(
  day: Throttle,
  throttle: Throttle,
  key: string,
): Promise<{ failures: number; seconds: number } | null> {
  const ticket = await day.acquire(key);
  const seconds = ticket.locked?.seconds ?? ticket.retryAfter;
  if (seconds <= 0) return null;
  await throttle.lockFor(key, seconds);
  return ticket.locked ? { failures: ticket.locked.attempts, seconds } : null;
}

import { claimKeys } from "./claim-keys";
import type { ClaimStore } from "./ports";

/**
 * The outcome of asking for an attempt: `retryAfter` 0 means a slot was taken (keep it if
 * the attempt fails, `release` it if not); otherwise none was left and `release` does nothing.
 */
export type ThrottleTicket = { retryAfter: number; release(): Promise<void> };

/** A counter of attempts per key in fixed windows, shared by every instance through MongoDB. */
export type Throttle = {
  /**
   * Takes one of the key's `limit` slots in the current window before the attempt is made,
   * so that concurrent attempts cannot exceed the limit; `retryAfter > 0` when none is left.
   */
  acquire(key: string): Promise<ThrottleTicket>;
  /** Forgets every slot of `key` in the current window (e.g. after a successful login). */
  clear(key: string): Promise<void>;
};

/**
 * Slots are claims `throttle:<name>:<key>:<window>:<n>` for n = 1..limit: exact under any
 * concurrency, which a `$inc` counter is not on FerretDB. Claims expire with their window
 * and are swept by `ClaimStore.sweep`. Only `_id` operations are used (inserts in slot
 * order, deletes by key): FerretDB answers those from its index, while a count or a delete
 * by group scans the collection.
 */
export function createThrottle(options: {
  claims: ClaimStore;
  name: string;
  limit: number;
  windowSeconds: number;
  now?: () => number;
}): Throttle {
  const { claims, limit } = options;
  const windowMs = options.windowSeconds * 1_000;
  const now = options.now ?? Date.now;
  const windowOf = () => Math.floor(now() / windowMs);
  const group = (key: string, window: number) => claimKeys.throttleWindow(options.name, key, window);
  const secondsLeft = (window: number) => Math.max(1, Math.ceil(((window + 1) * windowMs - now()) / 1_000));

  return {
    async acquire(key) {
      const window = windowOf();
      const slots = group(key, window);
      const expiresAt = new Date((window + 1) * windowMs);
      for (let n = 1; n <= limit; n++) {
        const slot = `${slots}:${n}`;
        if (await claims.claim(slot, slots, expiresAt)) {
          return { retryAfter: 0, release: () => claims.release(slot) };
        }
      }
      return { retryAfter: secondsLeft(window), release: async () => {} };
    },
    async clear(key) {
      const slots = group(key, windowOf());
      await claims.releaseKeys(Array.from({ length: limit }, (_, i) => `${slots}:${i + 1}`));
    },
  };
}

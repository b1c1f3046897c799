import type { ClaimStore } from "./claims";

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
 * and are swept by `ClaimStore.sweep`.
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
  const group = (key: string, window: number) => `throttle:${options.name}:${key}:${window}`;
  const secondsLeft = (window: number) => Math.max(1, Math.ceil(((window + 1) * windowMs - now()) / 1_000));

  return {
    async acquire(key) {
      const window = windowOf();
      const slots = group(key, window);
      const used = await claims.count(slots);
      if (used < limit) {
        const expiresAt = new Date((window + 1) * windowMs);
        // Start after the slots in use; wrap around for ones released meanwhile.
        for (let i = 0; i < limit; i++) {
          const slot = `${slots}:${((used + i) % limit) + 1}`;
          if (await claims.claim(slot, slots, expiresAt)) {
            return { retryAfter: 0, release: () => claims.release(slot) };
          }
        }
      }
      return { retryAfter: secondsLeft(window), release: async () => {} };
    },
    async clear(key) {
      await claims.releaseGroup(group(key, windowOf()));
    },
  };
}

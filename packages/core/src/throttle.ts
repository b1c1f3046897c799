import type { ClaimStore } from "./claims";

/** A counter of failures per key in fixed windows, shared by every instance through MongoDB. */
export type Throttle = {
  /** Seconds until `key` may try again, or 0 when it is not locked. */
  lockedFor(key: string): Promise<number>;
  /** Counts one failure; returns the seconds until retry when this failure hit the limit. */
  recordFailure(key: string): Promise<number>;
  /** Forgets the failures of `key` in the current window. */
  clear(key: string): Promise<void>;
};

/**
 * Failures are claims `throttle:<key>:<window>:<n>` for n = 1..limit, so the count is exact
 * under any concurrency (each failure takes one slot; no slot left means locked), which a
 * `$inc` counter is not on FerretDB. Old windows are swept by `ClaimStore.sweep`.
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
    async lockedFor(key) {
      const window = windowOf();
      return (await claims.count(group(key, window))) >= limit ? secondsLeft(window) : 0;
    },
    async recordFailure(key) {
      const window = windowOf();
      const expiresAt = new Date((window + 1) * windowMs);
      const start = (await claims.count(group(key, window))) + 1;
      for (let n = Math.min(start, limit); n <= limit; n++) {
        if (await claims.claim(`${group(key, window)}:${n}`, group(key, window), expiresAt)) {
          return n >= limit ? secondsLeft(window) : 0;
        }
      }
      return secondsLeft(window);
    },
    async clear(key) {
      await claims.releaseGroup(group(key, windowOf()));
    },
  };
}

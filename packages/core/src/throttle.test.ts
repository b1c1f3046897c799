import { describe, expect, it } from "vitest";
import type { ClaimStore } from "./claims";
import { createThrottle } from "./throttle";

/** An in-memory ClaimStore with the same contract (first insert of a key wins). */
function memoryClaims(): ClaimStore {
  const claims = new Map<string, string>();
  return {
    claim: async (key, group) => (claims.has(key) ? false : (claims.set(key, group), true)),
    count: async (group) => [...claims.values()].filter((g) => g === group).length,
    releaseGroup: async (group) => {
      for (const [key, g] of claims) if (g === group) claims.delete(key);
    },
    sweep: async () => 0,
    ensureIndexes: async () => {},
  };
}

describe("throttle", () => {
  it("locks a key after `limit` failures until its window ends, and clear unlocks it", async () => {
    let clock = 1_000_000;
    const throttle = createThrottle({
      claims: memoryClaims(),
      name: "t",
      limit: 3,
      windowSeconds: 60,
      now: () => clock,
    });
    expect(await throttle.recordFailure("alice")).toBe(0);
    expect(await throttle.recordFailure("alice")).toBe(0);
    expect(await throttle.lockedFor("alice")).toBe(0);
    const retryAfter = await throttle.recordFailure("alice");
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await throttle.lockedFor("alice")).toBe(retryAfter);
    expect(await throttle.lockedFor("bob")).toBe(0);
    await throttle.clear("alice");
    expect(await throttle.lockedFor("alice")).toBe(0);
    await throttle.recordFailure("alice");
    await throttle.recordFailure("alice");
    await throttle.recordFailure("alice");
    clock += retryAfter * 1_000;
    expect(await throttle.lockedFor("alice")).toBe(0);
  });

  it("counts exactly under concurrency: 10 simultaneous failures fill the 3 slots", async () => {
    const throttle = createThrottle({ claims: memoryClaims(), name: "t", limit: 3, windowSeconds: 60 });
    const results = await Promise.all(Array.from({ length: 10 }, () => throttle.recordFailure("k")));
    expect(results.every((r) => r >= 0)).toBe(true);
    expect(await throttle.lockedFor("k")).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from "vitest";
import type { ClaimStore } from "./claims";
import { createThrottle } from "./throttle";

/** An in-memory ClaimStore with the same contract (the first claim of a key wins). */
function memoryClaims(): ClaimStore {
  const claims = new Map<string, { group: string; at: Date }>();
  return {
    claim: async (key, group) => {
      if (claims.has(key)) return false;
      claims.set(key, { group, at: new Date() });
      return true;
    },
    claimedAt: async (key) => claims.get(key)?.at ?? null,
    count: async (group) => [...claims.values()].filter((c) => c.group === group).length,
    release: async (key) => void claims.delete(key),
    releaseKeys: async (keys) => {
      for (const key of keys) claims.delete(key);
    },
    releaseGroup: async (group) => {
      for (const [key, c] of claims) if (c.group === group) claims.delete(key);
    },
    sweep: async () => 0,
    ensureIndexes: async () => {},
  };
}

describe("throttle", () => {
  it("refuses attempts past the limit until the window ends; clear and release free slots", async () => {
    let clock = 1_000_000;
    const throttle = createThrottle({
      claims: memoryClaims(),
      name: "t",
      limit: 3,
      windowSeconds: 60,
      now: () => clock,
    });
    const tickets = [
      await throttle.acquire("alice"),
      await throttle.acquire("alice"),
      await throttle.acquire("alice"),
    ];
    expect(tickets.every((t) => t.retryAfter === 0)).toBe(true);
    const refused = await throttle.acquire("alice");
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect(refused.retryAfter).toBeLessThanOrEqual(60);
    expect((await throttle.acquire("bob")).retryAfter).toBe(0);

    await tickets[0]?.release();
    expect((await throttle.acquire("alice")).retryAfter).toBe(0);
    expect((await throttle.acquire("alice")).retryAfter).toBeGreaterThan(0);

    await throttle.clear("alice");
    expect((await throttle.acquire("alice")).retryAfter).toBe(0);
    await throttle.acquire("alice");
    await throttle.acquire("alice");
    clock += refused.retryAfter * 1_000;
    expect((await throttle.acquire("alice")).retryAfter).toBe(0);
  });

  it("admits exactly `limit` of many simultaneous attempts", async () => {
    const throttle = createThrottle({ claims: memoryClaims(), name: "t", limit: 3, windowSeconds: 60 });
    const tickets = await Promise.all(Array.from({ length: 10 }, () => throttle.acquire("k")));
    expect(tickets.filter((t) => t.retryAfter === 0)).toHaveLength(3);
  });
});

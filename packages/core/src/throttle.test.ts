import { describe, expect, it } from "vitest";
import { fakeClaims } from "../test/fakes";
import { createThrottle } from "./throttle";

describe("throttle", () => {
  it("refuses attempts past the limit until the window ends; clear and release free slots", async () => {
    let clock = 1_000_000;
    const throttle = createThrottle({
      claims: fakeClaims(),
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
    const throttle = createThrottle({ claims: fakeClaims(), name: "t", limit: 3, windowSeconds: 60 });
    const tickets = await Promise.all(Array.from({ length: 10 }, () => throttle.acquire("k")));
    expect(tickets.filter((t) => t.retryAfter === 0)).toHaveLength(3);
  });
});

/**
 * The tinypool patch of patches/ (why: docs/patches.md) still applies: this fails on the
 * unpatched 2.2.0, whose cold child ran the hashes queued while it started one at a time, and
 * kept doing so for as long as a queue stayed (a whole login storm).
 */
import Tinypool from "tinypool";
import { afterEach, describe, expect, it } from "vitest";

// Each task reports how many tasks its process was running at its busiest.
const source = `
let running = 0;
let most = 0;
export default async () => {
  running++;
  most = Math.max(most, running);
  await new Promise((resolve) => setTimeout(resolve, 100));
  running--;
  return most;
};
`;

const pools: Tinypool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.destroy();
});

describe("tinypool patch: a child starting with tasks queued takes as many as it may run", () => {
  it("runs 3 tasks queued on a cold child (concurrentTasksPerWorker 3) at once, and keeps doing so", async () => {
    const pool = new Tinypool({
      runtime: "child_process",
      filename: `data:text/javascript,${encodeURIComponent(source)}`,
      minThreads: 0,
      maxThreads: 1,
      concurrentTasksPerWorker: 3,
    });
    pools.push(pool);
    // What the password hasher does: it hands the pool at most 3 calls, and a new one each
    // time one ends (here: 9 calls, 3 at a time, from the cold start on).
    const most: number[] = [];
    const next = async (): Promise<void> => {
      while (most.length < 9) most.push((await pool.run({})) as number);
    };
    await Promise.all([next(), next(), next()]);
    expect(Math.max(...most)).toBe(3);
    expect(most.slice(-3)).toEqual([3, 3, 3]);
  });
});

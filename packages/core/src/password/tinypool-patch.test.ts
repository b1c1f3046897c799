/**
 * The tinypool patch of patches/ (why: docs/patches.md) still applies: this fails on the
 * unpatched 2.2.0, whose cold child ran the hashes queued while it started one at a time, and
 * kept doing so for as long as a queue stayed (a whole login storm).
 */
import Tinypool from "tinypool";
import { afterEach, describe, expect, it } from "vitest";

// Each task reports the most tasks its process ran at once while it ran (itself included).
const source = `
const active = new Set();
export default async () => {
  const task = { most: 0 };
  active.add(task);
  for (const t of active) t.most = Math.max(t.most, active.size);
  await new Promise((resolve) => setTimeout(resolve, 100));
  active.delete(task);
  return task.most;
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
    // time one ends (here: 3 x 4 calls from the cold start on). Unpatched, every call ran
    // alone; patched, they run three at a time (at most one, the last, may end alone).
    const most: number[] = [];
    const caller = async () => {
      for (let i = 0; i < 4; i++) most.push((await pool.run({})) as number);
    };
    await Promise.all([caller(), caller(), caller()]);
    expect(Math.max(...most)).toBe(3);
    expect(most.filter((n) => n === 1).length).toBeLessThanOrEqual(1);
  });
});

import { existsSync, readdirSync, readFileSync } from "node:fs";
import argon2 from "argon2";
import { describe, expect, it } from "vitest";
import { type Argon2Runner, childProcessArgon2 } from "./argon2-runner";
import { createPasswordHasher, owaspArgon2id } from "./password-hasher";

// Guards the install itself: argon2's native binary must load and work on this machine
// (0.45's prebuilt crashes the process on Node 20 here; see GOTCHAS.md).
describe("password hashing (argon2id)", () => {
  const hasher = createPasswordHasher({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

  it("hashes to an argon2id PHC string that verifies only the right password", async () => {
    const hash = await hasher.hash("correct horse battery staple");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(hasher.verify(hash, "correct horse battery staple")).resolves.toBe(true);
    await expect(hasher.verify(hash, "correct horse battery stapler")).resolves.toBe(false);
  });

  it("salts every hash", async () => {
    const [a, b] = await Promise.all([hasher.hash("same"), hasher.hash("same")]);
    expect(a).not.toBe(b);
  });

  it("flags hashes made with weaker parameters for rehashing", async () => {
    const weak = createPasswordHasher({ memoryCost: 8_192, timeCost: 1, parallelism: 1 });
    expect(hasher.needsRehash(await weak.hash("pw"))).toBe(true);
    expect(hasher.needsRehash(await hasher.hash("pw"))).toBe(false);
  });

  it("treats a malformed stored hash as a mismatch instead of throwing", async () => {
    await expect(hasher.verify("not-a-hash", "pw")).resolves.toBe(false);
    // Parameters argon2 accepts, a salt and digest it cannot read: argon2 itself throws.
    await expect(hasher.verify("$argon2id$v=19$m=19456,t=2,p=1$%%%$%%%", "pw")).resolves.toBe(false);
  });

  it("runs at most maxConcurrent hashes at once; the others wait their turn and still answer", async () => {
    const one = createPasswordHasher(
      { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
      { maxConcurrent: 1 },
    );
    const stored = await one.hash("pw");
    const checks = [one.verify(stored, "pw"), one.verify(stored, "nope"), one.hash("pw")];
    expect(one.waiting()).toBe(2);
    const [right, wrong, rehashed] = await Promise.all(checks);
    expect([right, wrong]).toEqual([true, false]);
    await expect(one.verify(String(rehashed), "pw")).resolves.toBe(true);
    expect(one.waiting()).toBe(0);
  });

  it("refuses at once with SERVICE_BUSY once maxWaiting calls wait, and takes work again after", async () => {
    const small = createPasswordHasher(
      { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
      { maxConcurrent: 1, maxWaiting: 1 },
    );
    const stored = await small.hash("pw");
    const running = small.verify(stored, "pw");
    const waiting = small.verify(stored, "pw");
    await expect(small.verify(stored, "pw")).rejects.toMatchObject({
      code: "SERVICE_BUSY",
      retryAfterSeconds: 1,
    });
    // A caller's early shed (before work of its own) says the same.
    expect(() => small.admit()).toThrow(expect.objectContaining({ code: "SERVICE_BUSY" }));
    await expect(Promise.all([running, waiting])).resolves.toEqual([true, true]);
    expect(() => small.admit()).not.toThrow();
    await expect(small.verify(stored, "pw")).resolves.toBe(true);
  });

  it("upgrades any argon2 variant but argon2id (an imported argon2i hash), and verifies it meanwhile", async () => {
    const argon2i = await argon2.hash("pw", {
      type: argon2.argon2i,
      memoryCost: 19_456,
      timeCost: 2,
      parallelism: 1,
    });
    expect(argon2i).toMatch(/^\$argon2i\$/);
    await expect(hasher.verify(argon2i, "pw")).resolves.toBe(true);
    expect(hasher.needsRehash(argon2i)).toBe(true);
  });

  it("refuses, without computing it, an argon2 hash that costs more than any it may hold", async () => {
    const real = await hasher.hash("pw");
    const costly = real.replace("m=19456,", "m=4194304,");
    await expect(hasher.verify(costly, "pw")).resolves.toBe(false);
  });
});

describe("load shedding by estimated wait", () => {
  it("refuses a call whose estimated wait (calls ahead x measured hash time / slots) passes maxWaitMs", async () => {
    const strict = createPasswordHasher(owaspArgon2id, { maxConcurrent: 1, maxWaitMs: 1 });
    const stored = await strict.hash("pw"); // measures one hash (well over 1 ms)
    const running = strict.verify(stored, "pw");
    expect(strict.full()).toBe(true);
    await expect(strict.verify(stored, "pw")).rejects.toMatchObject({ code: "SERVICE_BUSY" });
    await expect(running).resolves.toBe(true);
    // A free slot means no wait at all: taken again.
    await expect(strict.verify(stored, "pw")).resolves.toBe(true);
  });

  it("refuses a call once the oldest waiting one has waited past maxWaitMs, though the estimate is low", async () => {
    // A runner that reports 1 ms per hash (the estimate stays low) but answers only when told.
    const releases: (() => void)[] = [];
    const stalled: Argon2Runner = {
      hash: () => new Promise((resolve) => releases.push(() => resolve({ value: "$argon2id$x", ms: 1 }))),
      verify: () => new Promise((resolve) => releases.push(() => resolve({ value: true, ms: 1 }))),
      close: async () => {},
    };
    const hasher = createPasswordHasher(owaspArgon2id, { maxConcurrent: 1, maxWaitMs: 50, runner: stalled });
    const first = hasher.hash("a");
    await new Promise((resolve) => setTimeout(resolve, 5));
    releases.shift()?.();
    await first; // one measured hash: 1 ms
    const running = hasher.hash("b");
    const waiting = hasher.hash("c");
    expect(hasher.full()).toBe(false); // estimated wait: 2 calls x 1 ms
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(hasher.full()).toBe(true); // "c" has waited 80 ms
    await expect(hasher.hash("d")).rejects.toMatchObject({ code: "SERVICE_BUSY" });
    releases.shift()?.();
    await running;
    releases.shift()?.();
    await waiting;
    expect(hasher.full()).toBe(false);
  });

  it("answers SERVICE_BUSY, never a mismatch, when the hashing process fails during a call", async () => {
    const crashed: Argon2Runner = {
      hash: () => Promise.reject(new Error("Worker exited unexpectedly")),
      verify: () => Promise.reject(new Error("Worker exited unexpectedly")),
      close: async () => {},
    };
    const hasher = createPasswordHasher(owaspArgon2id, { maxConcurrent: 1, runner: crashed });
    const stored = await createPasswordHasher(owaspArgon2id).hash("pw");
    await expect(hasher.verify(stored, "pw")).rejects.toMatchObject({ code: "SERVICE_BUSY" });
    await expect(hasher.hash("pw")).rejects.toMatchObject({ code: "SERVICE_BUSY" });
    // A malformed hash is still a mismatch: the runner is not even asked.
    await expect(hasher.verify("$argon2id$garbage", "pw")).resolves.toBe(false);
  });

  it("lets calls wait while their estimated wait stays under maxWaitMs", async () => {
    const patient = createPasswordHasher(owaspArgon2id, { maxConcurrent: 1, maxWaitMs: 60_000 });
    const stored = await patient.hash("pw");
    const checks = [patient.verify(stored, "pw"), patient.verify(stored, "pw"), patient.verify(stored, "no")];
    expect(patient.full()).toBe(false);
    await expect(Promise.all(checks)).resolves.toEqual([true, true, false]);
  });
});

describe("argon2 in child processes", () => {
  it("hashes and verifies like the in-process pool, in one child at a lowered CPU priority", async () => {
    const runner = childProcessArgon2({ concurrency: 2, niceness: 7 });
    const hasher = createPasswordHasher(owaspArgon2id, { maxConcurrent: 2, runner });
    try {
      const [hash, other] = await Promise.all([hasher.hash("pw"), hasher.hash("pw")]);
      expect(other).not.toBe(hash);
      expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await expect(argon2.verify(hash, "pw")).resolves.toBe(true); // readable by the in-process one
      await expect(hasher.verify(hash, "pw")).resolves.toBe(true);
      await expect(hasher.verify(hash, "nope")).resolves.toBe(false);
      await expect(hasher.verify("$argon2id$garbage", "pw")).resolves.toBe(false);
      await expect(hasher.verify("$argon2id$v=19$m=19456,t=2,p=1$%%%$%%%", "pw")).resolves.toBe(false);
      if (existsSync("/proc/self/task")) {
        // Every thread of the child (libuv's, where argon2 runs, included) runs at niceness 7.
        const children = readdirSync("/proc").filter(
          (pid) => /^\d+$/.test(pid) && Number(statFields(`/proc/${pid}/stat`)[1]) === process.pid,
        );
        const nice = children.flatMap((pid) =>
          readdirSync(`/proc/${pid}/task`).map((tid) =>
            Number(statFields(`/proc/${pid}/task/${tid}/stat`)[16]),
          ),
        );
        // Two hashes at once ran in one process (a Node runtime each would cost ~40 MB).
        expect(children).toHaveLength(1);
        expect(nice.length).toBeGreaterThan(1);
        expect(new Set(nice)).toEqual(new Set([7]));
      }
    } finally {
      await hasher.close?.();
    }
  });

  it.runIf(existsSync("/proc/self/task"))(
    "survives its child being killed while idle: told through onError, the next hash starts another",
    async () => {
      const errors: unknown[] = [];
      const runner = childProcessArgon2({ concurrency: 1, onError: (error) => errors.push(error) });
      const hasher = createPasswordHasher(owaspArgon2id, { maxConcurrent: 1, runner });
      try {
        await hasher.hash("pw");
        const [child] = readdirSync("/proc").filter(
          (pid) => /^\d+$/.test(pid) && Number(statFields(`/proc/${pid}/stat`)[1]) === process.pid,
        );
        process.kill(Number(child), "SIGKILL");
        for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        expect(errors.length).toBeGreaterThan(0); // an unheard `error` event would end the process
        await expect(hasher.verify(await hasher.hash("pw"), "pw")).resolves.toBe(true);
      } finally {
        await hasher.close?.();
      }
    },
  );
});

/** The fields of a /proc stat file after the command name: [state, ppid, …, nice at 16]; [] once gone. */
function statFields(file: string): string[] {
  try {
    const stat = readFileSync(file, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return [];
  }
}

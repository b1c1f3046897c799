import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import argon2 from "argon2";
import Tinypool from "tinypool";

/**
 * Where argon2 runs: the work the password hasher's queue hands on, one call at a time per
 * slot. Each answer comes with the milliseconds the hash itself took (not a child's start),
 * from which the queue estimates waits.
 */
export type Argon2Runner = {
  hash(password: string, params: Argon2Params): Promise<Timed<string>>;
  /** false for a wrong password or a malformed hash; rejects only when the runner failed. */
  verify(hash: string, password: string): Promise<Timed<boolean>>;
  /** Stops the runner's processes (none for the in-process one). */
  close(): Promise<void>;
};
export type Argon2Params = { memoryCost: number; timeCost: number; parallelism: number };
export type Timed<T> = { value: T; ms: number };

const timed = async <T>(work: () => Promise<T>): Promise<Timed<T>> => {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
};

/** argon2 on this process's libuv thread pool, at the event loop's own CPU priority. */
export const inProcessArgon2: Argon2Runner = {
  hash: (password, params) => timed(() => argon2.hash(password, { type: argon2.argon2id, ...params })),
  // A malformed stored hash is a mismatch, not an error.
  verify: (hash, password) => timed(() => argon2.verify(hash, password).catch(() => false)),
  close: async () => {},
};

/**
 * The module each child process runs (a data: URL, so that it needs no file of its own next
 * to the bundle): it lowers the CPU priority of each of its threads, then answers tinypool's
 * tasks.
 */
const childSource = (argon2Url: string, niceness: number) => `
import { readdirSync } from "node:fs";
import os from "node:os";
import argon2 from ${JSON.stringify(argon2Url)};
// Linux sets a priority per thread: lower every thread already there (libuv's pool may have
// started while this module loaded); threads started later inherit it.
let threads = [0];
try { threads = readdirSync("/proc/self/task").map(Number); } catch {}
for (const thread of threads) try { os.setPriority(thread, ${niceness}); } catch {}
export default async (task) => {
  const started = performance.now();
  const value = await (task.op === "hash"
    ? argon2.hash(task.password, { type: argon2.argon2id, ...task.params })
    : argon2.verify(task.hash, task.password).catch(() => false)); // malformed: a mismatch
  return { value, ms: performance.now() - started };
};
`;

/**
 * argon2 in one child process (tinypool's child_process runtime) running up to `concurrency`
 * hashes at once on its libuv pool, every thread at a lowered CPU priority (`niceness`,
 * os.setPriority): under a login storm the event loop (and the database) get a core as soon
 * as they need one, and the hashes take what is left. One process, not one per hash: a Node
 * runtime costs about 40 MB of memory, a concurrent hash 19 MiB. The child starts on first
 * use and stops after a minute idle; its memory (argon2's blocks, which the allocator keeps
 * for the next hash instead of mapping and faulting in 19 MiB each time) is its own, not the
 * server's heap or arenas.
 */
export function childProcessArgon2({
  concurrency,
  niceness = 10,
  onError,
}: {
  concurrency: number;
  niceness?: number;
  /**
   * Told when the child fails: killed or crashed while idle (the next task starts another),
   * or while running tasks (they reject; the hasher answers SERVICE_BUSY).
   */
  onError?: (error: unknown) => void;
}): Argon2Runner {
  const argon2Url = pathToFileURL(createRequire(import.meta.url).resolve("argon2")).href;
  const pool = new Tinypool({
    runtime: "child_process",
    filename: `data:text/javascript,${encodeURIComponent(childSource(argon2Url, niceness))}`,
    minThreads: 0,
    maxThreads: 1,
    concurrentTasksPerWorker: concurrency,
    idleTimeout: 60_000,
    // Not the parent's flags (a loader, --cpu-prof, --inspect): the child only passes
    // passwords to argon2 and answers, so a small heap is plenty.
    execArgv: ["--max-old-space-size=32", "--max-semi-space-size=1"],
    // One libuv pool thread per concurrent hash (argon2 runs there).
    env: { UV_THREADPOOL_SIZE: String(concurrency) },
  });
  // tinypool emits a child's death outside a task as an `error` event on the pool: without a
  // listener, that would end the server.
  pool.on("error", (error: unknown) => onError?.(error));
  const run = <T>(task: Record<string, unknown>) =>
    (pool.run(task) as Promise<Timed<T>>).catch((error: unknown) => {
      onError?.(error);
      throw error;
    });
  return {
    hash: (password, params) => run<string>({ op: "hash", password, params }),
    verify: (hash, password) => run<boolean>({ op: "verify", hash, password }),
    close: () => pool.destroy(),
  };
}

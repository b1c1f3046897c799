import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * bcrypt on a worker thread. bcryptjs is plain JavaScript: on the main thread a cost-12 check
 * (~0.3 s) would stall every request. One worker, started on first use and not keeping the
 * process alive; the password hasher's queue already bounds how many checks wait.
 */
const source = `
const { parentPort, workerData } = require("node:worker_threads");
const bcrypt = require(workerData.bcryptPath);
parentPort.on("message", ({ id, password, salt }) => {
  try {
    parentPort.postMessage({ id, hash: bcrypt.hashSync(password, salt) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message) });
  }
});
`;

type Reply = { id: number; hash?: string; error?: string };

/**
 * The worker died or was stopped while it held the call: the answer is unknown (not a
 * mismatch). bcryptjs's own refusals (a bad salt) are plain errors.
 */
export class BcryptWorkerFailed extends Error {
  override name = "BcryptWorkerFailed";
}

type Pending = Map<number, { resolve: (hash: string) => void; reject: (error: Error) => void }>;

/** The running worker and the calls it holds (each worker its own: a dying one fails only its calls). */
let worker: { thread: Worker; waiting: Pending } | null = null;
let nextId = 0;

function start(): { thread: Worker; waiting: Pending } {
  const bcryptPath = createRequire(import.meta.url).resolve("bcryptjs");
  const thread = new Worker(source, { eval: true, workerData: { bcryptPath } });
  const waiting: Pending = new Map();
  const started = { thread, waiting };
  thread.unref();
  thread.on("message", (reply: Reply) => {
    const pending = started.waiting.get(reply.id);
    started.waiting.delete(reply.id);
    if (reply.hash !== undefined) pending?.resolve(reply.hash);
    else pending?.reject(new Error(reply.error ?? "bcrypt failed"));
  });
  const fail = (error: Error) => {
    if (worker === started) worker = null;
    for (const pending of started.waiting.values())
      pending.reject(new BcryptWorkerFailed(error.message, { cause: error }));
    started.waiting.clear();
  };
  thread.on("error", fail);
  thread.on("exit", () => fail(new Error("bcrypt worker stopped")));
  return started;
}

/** Stops the worker, if one runs (calls it holds fail with BcryptWorkerFailed); the next call starts another. */
export async function stopBcryptWorker(): Promise<void> {
  const running = worker;
  worker = null;
  await running?.thread.terminate();
}

/** bcrypt of `password` with the salt and cost of `salt` (a hash's first 29 characters), off the event loop. */
export function bcryptHash(password: string, salt: string): Promise<string> {
  worker ??= start();
  const id = nextId++;
  const running = worker;
  return new Promise((resolve, reject) => {
    running.waiting.set(id, { resolve, reject });
    running.thread.postMessage({ id, password, salt });
  });
}

import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { hasherBusyError } from "./password-hasher";

/** zxcvbn's verdict on one password: score 0 (too guessable) to 4 (very unguessable), and its advice. */
export type StrengthEstimate = { score: 0 | 1 | 2 | 3 | 4; warning: string | null; suggestions: string[] };

/** Estimates how guessable a password is, given words of the user that an attacker would try first. */
export type StrengthEstimator = {
  estimate(password: string, userInputs: readonly string[]): Promise<StrengthEstimate>;
  /** Whether the worker thread is up (it starts with a check and stops when idle). */
  running(): boolean;
  /** Stops the worker (tests; the worker never keeps the process alive anyway). */
  close(): Promise<void>;
};

/**
 * The zxcvbn options: common passwords, diceware and English words, names and Wikipedia
 * terms, keyboard graphs, English feedback. Only the first `estimatedLength` characters are
 * estimated (see docs/security.md: longer inputs cost seconds of CPU in its l33t and
 * sequence matchers), with at most `l33tMaxSubstitutions` l33t variants per word.
 */
export const strengthOptions = { estimatedLength: 64, l33tMaxSubstitutions: 10 } as const;

const source = `
const { parentPort, workerData } = require("node:worker_threads");
const { ZxcvbnFactory } = require(workerData.core);
const common = require(workerData.common);
const en = require(workerData.en);
const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...en.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
  maxLength: workerData.maxLength,
  l33tMaxSubstitutions: workerData.l33tMaxSubstitutions,
});
parentPort.postMessage({ id: -1 });
parentPort.on("message", ({ id, password, userInputs }) => {
  try {
    const result = zxcvbn.check(password, userInputs);
    parentPort.postMessage({ id, score: result.score, warning: result.feedback.warning || null, suggestions: result.feedback.suggestions });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message) });
  }
});
`;

type Reply = {
  id: number;
  score?: StrengthEstimate["score"];
  warning?: string | null;
  suggestions?: string[];
  error?: string;
};

/**
 * zxcvbn on one worker thread, so that a check (milliseconds, up to ~100 ms for 64 random
 * characters on a busy machine) never blocks the event loop. The thread, with its
 * dictionaries, costs about 50 MB of memory (its own V8 heap): it starts with the first check
 * and stops after `idleMs` without one, so a server that is not registering users or
 * changing passwords does not carry it. At most `queueLimit` checks wait; more are refused
 * with SERVICE_BUSY (503), so a flood of strength requests cannot queue without bound.
 */
export function createStrengthEstimator(options: { queueLimit: number; idleMs?: number }): StrengthEstimator {
  const idleMs = options.idleMs ?? 60_000;
  const resolve = createRequire(import.meta.url).resolve;
  let worker: Worker | null = null;
  let nextId = 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const waiting = new Map<number, { resolve: (e: StrengthEstimate) => void; reject: (e: Error) => void }>();

  const start = () => {
    const started = new Worker(source, {
      eval: true,
      workerData: {
        core: resolve("@zxcvbn-ts/core"),
        common: resolve("@zxcvbn-ts/language-common"),
        en: resolve("@zxcvbn-ts/language-en"),
        maxLength: strengthOptions.estimatedLength,
        l33tMaxSubstitutions: strengthOptions.l33tMaxSubstitutions,
      },
    });
    started.unref();
    started.on("message", (reply: Reply) => {
      const pending = waiting.get(reply.id);
      if (!pending) return;
      waiting.delete(reply.id);
      if (waiting.size === 0) stopWhenIdle();
      if (reply.score !== undefined)
        pending.resolve({
          score: reply.score,
          warning: reply.warning ?? null,
          suggestions: reply.suggestions ?? [],
        });
      else pending.reject(new Error(reply.error ?? "password strength check failed"));
    });
    const fail = (error: Error) => {
      if (worker === started) worker = null;
      for (const pending of waiting.values()) pending.reject(error);
      waiting.clear();
    };
    started.on("error", fail);
    started.on("exit", () => fail(new Error("password strength worker stopped")));
    return started;
  };
  /** Stops the thread once no check has come for `idleMs`; the next check starts it again. */
  const stopWhenIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      const idle = worker;
      if (!idle || waiting.size > 0) return;
      worker = null;
      idle.removeAllListeners();
      idle.on("error", () => {}); // stopping: nothing waits on it any more
      void idle.terminate();
    }, idleMs);
    idleTimer.unref();
  };

  return {
    estimate(password, userInputs) {
      if (waiting.size >= options.queueLimit) return Promise.reject(hasherBusyError());
      worker ??= start();
      const id = nextId++;
      const running = worker;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        running.postMessage({ id, password, userInputs: [...userInputs] });
      });
    },
    running: () => worker !== null,
    async close() {
      clearTimeout(idleTimer);
      const running = worker;
      worker = null;
      await running?.terminate();
    },
  };
}

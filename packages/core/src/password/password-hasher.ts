import os from "node:os";
import argon2 from "argon2";
import pLimit from "p-limit";
import { DomainError } from "../errors";
import { type Argon2Runner, inProcessArgon2 } from "./argon2-runner";
import { isLegacyHash, legacyHashBounds, verifyLegacyHash } from "./legacy-hashes";

export type PasswordHashingOptions = {
  /** KiB of memory per hash (OWASP floor for argon2id: 19456). */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
};

/** OWASP Password Storage Cheat Sheet's minimum for argon2id. */
export const owaspArgon2id: PasswordHashingOptions = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  /** Our argon2 hashes and the legacy formats of legacy-hashes.ts; false (never a throw) when malformed. */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when `hash` was made with weaker parameters than the current ones, or is not argon2 at all. */
  needsRehash(hash: string): boolean;
  /** Hashes and verifications waiting for a free slot (not counting those running). */
  waiting(): number;
  /** True when a call made now would be refused with SERVICE_BUSY. */
  full(): boolean;
  /**
   * Throws SERVICE_BUSY when full(): a caller sheds before work of its own (a login before
   * its user lookup, a registration before the password policy), counted as a shed hash.
   */
  admit(): void;
  /** Stops the processes hashing runs in, if any (at shutdown). */
  close?(): Promise<void>;
};

/** True for the refusal of a hasher whose queue is full. */
export const isHasherBusy = (error: unknown): boolean =>
  error instanceof DomainError && error.code === "SERVICE_BUSY";

/** The refusal a caller gets when `full()`. */
export const hasherBusyError = () =>
  new DomainError("SERVICE_BUSY", "Too many password checks are waiting; retry in a second.", {
    retryAfterSeconds: 1,
  });

/**
 * The hashing process (or the bcrypt worker) failed while it held the call: the answer is
 * unknown, so the caller retries, as for a busy hasher (same SERVICE_BUSY, so `isHasherBusy`
 * holds); never a wrong password (which would count a failure against the account).
 */
export class HashingFailedError extends DomainError {
  constructor(cause: unknown) {
    super("SERVICE_BUSY", "Password hashing is restarting; retry in a second.", {
      retryAfterSeconds: 1,
      cause,
    });
  }
}

/** True for a call whose hashing process failed under it (not a refusal of a full queue). */
export const isHashingFailure = (error: unknown): boolean => error instanceof HashingFailedError;

const hashingFailed = (cause: unknown): never => {
  throw new HashingFailedError(cause);
};

/**
 * argon2id hashing off the event loop: on libuv's thread pool (default), or in child
 * processes at a lowered CPU priority (`runner`, see argon2-runner.ts). At most
 * `maxConcurrent` hashes run at once (default: one per core; the server's setting also keeps
 * a thread of libuv's pool free); the rest wait in order. More at once would not finish
 * sooner (each keeps a core busy) but would each hold `memoryCost` KiB.
 *
 * Load shedding, before any work: a call is refused at once with SERVICE_BUSY (Retry-After
 * 1 s) when its estimated wait, the calls ahead of it x the measured time of one hash /
 * `maxConcurrent`, would exceed `maxWaitMs`, or the oldest waiting call has already waited
 * longer (the estimate's moving average lags when the host suddenly slows down), or when
 * `maxWaiting` calls already wait. The estimate follows the machine (a slower or busier host
 * sheds sooner) where a fixed queue length was right for one machine only. Legacy hashes (Werkzeug scrypt/pbkdf2, bcrypt,
 * Django pbkdf2) are verified on the same queue, and always need a rehash: the first
 * successful login replaces them with argon2id.
 */
export function createPasswordHasher(
  options: PasswordHashingOptions = owaspArgon2id,
  {
    maxConcurrent = os.availableParallelism(),
    maxWaiting = Number.POSITIVE_INFINITY,
    maxWaitMs = Number.POSITIVE_INFINITY,
    runner = inProcessArgon2,
  }: {
    maxConcurrent?: number | undefined;
    maxWaiting?: number | undefined;
    maxWaitMs?: number | undefined;
    runner?: Argon2Runner | undefined;
  } = {},
): PasswordHasher {
  const params = { type: argon2.argon2id, ...options };
  const limit = pLimit(maxConcurrent);
  // Time of one argon2 hash as measured where it runs (moving average), from the first one on.
  let hashMs = 0;
  const estimatedWaitMs = () => ((limit.activeCount + limit.pendingCount) * hashMs) / maxConcurrent;
  // When the calls waiting now were queued, oldest first: p-limit starts them in order, and
  // nothing clears its queue (limit.clearQueue() would leave these entries behind).
  const waitingSince: number[] = [];
  const oldestWaitMs = () => (waitingSince.length === 0 ? 0 : performance.now() - (waitingSince[0] ?? 0));
  const full = () =>
    limit.activeCount + limit.pendingCount >= maxConcurrent + maxWaiting ||
    (limit.activeCount >= maxConcurrent && (estimatedWaitMs() > maxWaitMs || oldestWaitMs() > maxWaitMs));
  const measured = (ms: number) => {
    hashMs = hashMs === 0 ? ms : hashMs * 0.9 + ms * 0.1;
  };
  const queue = <T>(work: () => Promise<T>): Promise<T> => {
    if (full()) return Promise.reject(hasherBusyError());
    waitingSince.push(performance.now());
    return limit(() => {
      waitingSince.shift();
      return work();
    });
  };
  // An argon2 hash costs what it says: one stored (imported, or written by another system)
  // with more than the import's bounds (or our own parameters, when higher) is refused unchecked.
  const bounds = legacyHashBounds.argon2;
  const affordable = (hash: string) => {
    const [m, t, p] = (/\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(hash) ?? []).slice(1).map(Number);
    return (
      m !== undefined &&
      t !== undefined &&
      p !== undefined &&
      m <= Math.max(bounds.maxMemoryKiB, options.memoryCost) &&
      t <= Math.max(bounds.maxTime, options.timeCost) &&
      p <= Math.max(bounds.maxParallelism, options.parallelism)
    );
  };
  return {
    hash: (password) =>
      queue(async () => {
        const { value, ms } = await runner.hash(password, options).catch(hashingFailed);
        measured(ms);
        return value;
      }),
    verify: (hash, password) =>
      queue(async () => {
        // Only a dead bcrypt worker throws: the answer is unknown, not a mismatch.
        if (isLegacyHash(hash)) return verifyLegacyHash(hash, password).catch(hashingFailed);
        if (!affordable(hash)) return false;
        // A malformed hash is a mismatch (the runners say so); a failed runner is not.
        const { value, ms } = await runner.verify(hash, password).catch(hashingFailed);
        measured(ms);
        return value;
      }),
    // Any argon2 variant but argon2id (argon2i, argon2d: importable) is upgraded too.
    needsRehash: (hash) =>
      isLegacyHash(hash) || !hash.startsWith("$argon2id$") || argon2.needsRehash(hash, params),
    waiting: () => limit.pendingCount,
    full,
    admit() {
      if (full()) throw hasherBusyError();
    },
    close: () => runner.close(),
  };
}

/**
 * The loop of a background worker: runs `step` while it finds work, sleeps `pollIntervalMs`
 * when it finds none (or fails), and wakes early when told that work arrived.
 */
export function createWorkerLoop(options: {
  /** Does one unit of work; true when there may be more right away. */
  step: () => Promise<boolean>;
  pollIntervalMs: number;
  onError: (error: unknown) => void;
}) {
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  async function run(): Promise<void> {
    while (running) {
      try {
        if (await options.step()) continue;
      } catch (error) {
        options.onError(error);
      }
      if (running) await sleep(options.pollIntervalMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Stops after the unit of work in hand; resolves when idle. */
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = null;
    },
    /** Ends the current sleep (new work is waiting). */
    wake() {
      wake?.();
    },
  };
}

/** Exponential backoff from `baseMs` doubling per attempt, capped at `maxMs`, with `jitter` (0..1) taken off at random. */
export function backoffDelay(
  options: { baseMs: number; maxMs: number; jitter: number },
  attempts: number,
): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** attempts);
  return exponential * (1 - options.jitter * Math.random());
}

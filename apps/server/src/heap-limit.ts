/**
 * The V8 old-space limit for a memory budget. V8 sizes its heap from the memory it sees (the
 * host's, without a container limit) and collects lazily up to it: the service's live heap
 * is about 43 MB, but under load it grows past 150 MB before a major collection (measured
 * with `process.memoryUsage()` per phase, a heap snapshot and `--trace-gc`, issue 21). A
 * limit makes V8 collect sooner (at some CPU: see docs/deploy.md). The old space gets 40% of
 * the budget: the rest is the young generation, code, buffers, the password-strength thread
 * while it runs, and the hashing child process (about 47 MB of its own), which share the
 * container's limit.
 */
export function heapFlags(limitBytes: number | undefined): string[] {
  // No limit (0, undefined, or cgroup v2's "max", reported as a huge number).
  if (!limitBytes || limitBytes >= 2 ** 50) return [];
  const megabytes = Math.max(64, Math.floor((limitBytes / 1_048_576) * 0.4));
  return [`--max-old-space-size=${megabytes}`];
}

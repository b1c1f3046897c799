/**
 * `pnpm --filter @usersvc/server password-policy-cost`: what the password policy costs. The
 * memory and time to load zxcvbn's dictionaries (on their worker thread, once per process)
 * and the time of one policy check for typical, common and random passwords (a check of a
 * password with the owner's words in it runs zxcvbn twice). A measurement, not a test.
 */
import { randomBytes } from "node:crypto";
import { createPasswordPolicy, createStrengthEstimator } from "@usersvc/core";

const rss = () => process.memoryUsage().rss / 1e6;
const before = rss();
const started = performance.now();
const estimator = createStrengthEstimator({ queueLimit: 64 });
await estimator.estimate("warm-up", []);
const ready = performance.now() - started;
const loaded = rss();
const policy = createPasswordPolicy({ minScore: 3, estimator });
const owner = { username: "johndoe", email: "john.doe@example.com", first_name: "John", last_name: "Doe" };

const time = async (label: string, make: (i: number) => string, rounds: number) => {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await policy.judge(make(i), owner);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(rounds / 2)] ?? Number.NaN;
  const max = times[rounds - 1] ?? Number.NaN;
  console.log(`  ${label.padEnd(36)} median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
};

console.log(`zxcvbn worker ready in ${ready.toFixed(0)} ms; process RSS +${(loaded - before).toFixed(1)} MB`);
console.log("one policy check (zxcvbn on the worker, round trip included):");
await time("typical (Tulip-Kettle-Orbit-<n>)", (i) => `Tulip-Kettle-Orbit-${i}`, 100);
await time("common (Password1!)", () => "Password1!", 50);
await time("owner's words (JohnDoe-Kettle-<n>)", (i) => `JohnDoe-Kettle-${i}`, 50);
await time("random, 32 characters", () => randomBytes(24).toString("base64"), 30);
await time("random, 128 characters", () => randomBytes(96).toString("base64"), 20);
await estimator.close();

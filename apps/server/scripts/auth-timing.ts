/**
 * `pnpm --filter @usersvc/server auth-timing`: compares the latency of auth/check for an
 * unknown identifier and for a wrong password (they must cost the same, or response time
 * tells which accounts exist). Starts its own FerretDB + Mailpit; sequential requests,
 * alternating the two kinds to cancel drift. A measurement to report, not a test.
 */
import { createPasswordHasher } from "@usersvc/core";
import { median, seedActiveUser, startTimingService, timingApiKey } from "./timing-service";

const rounds = Number(process.argv[2] ?? 200);
await using service = await startTimingService({
  LOGIN_MAX_FAILURES: "1000",
  LOGIN_MAX_FAILURES_PER_DAY: "1000",
});
const { settings, app, url } = service;
const hash = await createPasswordHasher(settings.passwordHashing).hash("Right-password-1");
await seedActiveUser(app, "timed", hash);
const check = async (identifier: string) => {
  const started = performance.now();
  const response = await fetch(`${url}/api/users/auth/check`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${timingApiKey}` },
    body: JSON.stringify({ identifier, password: "Wrong-password-1" }),
  });
  await response.arrayBuffer();
  if (response.status !== 401) throw new Error(`expected 401, got ${response.status}`);
  return performance.now() - started;
};
for (let i = 0; i < 10; i++) await check(i % 2 ? "timed" : `ghost-${i}`); // warm-up
const unknown: number[] = [];
const wrong: number[] = [];
for (let i = 0; i < rounds; i++) {
  unknown.push(await check(`ghost-${i}`));
  wrong.push(await check("timed"));
}
const [u, w] = [median(unknown), median(wrong)];
const difference = Math.abs(u - w) / Math.min(u, w);
console.log(
  `auth/check, ${rounds} requests each, argon2id m=${settings.passwordHashing.memoryCost} t=${settings.passwordHashing.timeCost}`,
);
console.log(`  unknown identifier: median ${u.toFixed(2)} ms`);
console.log(`  wrong password:     median ${w.toFixed(2)} ms`);
console.log(`  difference:         ${(difference * 100).toFixed(1)}% (goal: within 10%)`);

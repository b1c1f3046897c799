/**
 * `pnpm --filter @usersvc/server login-code-timing [rounds]`: compares the latency of
 * auth/code/request for an unknown identifier and for an active account (the answer must
 * not tell which accounts exist: the email is prepared after the answer). Starts its own
 * FerretDB + Mailpit; sequential requests, alternating the two kinds to cancel drift. A
 * measurement to report, not a test.
 */
import { median, seedActiveUser, startTimingService, timingApiKey } from "./timing-service";

const rounds = Number(process.argv[2] ?? 200);
// Every request of the known account does the whole work: a new code and email each time.
await using service = await startTimingService({ LOGIN_CODE_RESEND_COOLDOWN_SECONDS: "0" });
const { app, url } = service;
// A well-formed hash nobody needs to match: this script never checks a password.
await seedActiveUser(app, "timed", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo");
const request = async (identifier: string) => {
  const started = performance.now();
  const response = await fetch(`${url}/api/users/auth/code/request`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${timingApiKey}` },
    body: JSON.stringify({ identifier }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`);
  return performance.now() - started;
};
for (let i = 0; i < 10; i++) await request(i % 2 ? "timed" : `ghost-${i}@example.com`); // warm-up
const unknown: number[] = [];
const known: number[] = [];
for (let i = 0; i < rounds; i++) {
  unknown.push(await request(`ghost-${i}@example.com`));
  known.push(await request("timed@example.com"));
}
const [u, k] = [median(unknown), median(known)];
const difference = Math.abs(u - k) / Math.min(u, k);
console.log(`auth/code/request, ${rounds} requests each (sequential, alternating)`);
console.log(`  unknown identifier: median ${u.toFixed(2)} ms`);
console.log(`  active account:     median ${k.toFixed(2)} ms`);
console.log(`  difference:         ${(difference * 100).toFixed(1)}% (goal: within 10%)`);

/**
 * `pnpm --filter @usersvc/server login-code-timing [rounds]`: compares the latency of
 * auth/code/request for an unknown identifier and for an active account (the answer must
 * not tell which accounts exist: the email is prepared after the answer). Starts its own
 * FerretDB + Mailpit; sequential requests, alternating the two kinds to cancel drift. A
 * measurement to report, not a test.
 */
import { randomBytes } from "node:crypto";
import { loadSettings } from "@usersvc/config";
import { createUserRepository } from "@usersvc/core";
import { startLocalDatabase, startLocalMailServer } from "@usersvc/local-stack";
import { createApp } from "../src/app";
import { createLogger } from "../src/logger";

const rounds = Number(process.argv[2] ?? 200);
await using db = await startLocalDatabase();
await using mail = await startLocalMailServer();
const settings = loadSettings({
  env: {
    APP_ENV: "test",
    SECRET_KEY: randomBytes(32).toString("hex"),
    API_KEYS: "timing-key-0123456789",
    MONGODB_URI: db.uri,
    MONGODB_DB: "timing",
    MAIL_SERVER: mail.smtpHost,
    MAIL_PORT: String(mail.smtpPort),
    PORT: "0",
    LOG_LEVEL: "silent",
    // Every request of the known account does the whole work: a new code and email each time.
    LOGIN_CODE_RESEND_COOLDOWN_SECONDS: "0",
  },
  envFile: null,
});
const app = await createApp(settings, createLogger({ level: "silent", pretty: false }));
const url = await app.listen();
try {
  const users = createUserRepository(app.connection);
  await users.insert({
    id: users.newId(),
    username: "timed",
    first_name: "T",
    last_name: "T",
    email: "timed@example.com",
    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
    gender: "Other",
    role: "user",
    is_active: true,
    mfa_enabled: false,
    activation: null,
    mfa: null,
    email_change: null,
  });
  const request = async (identifier: string) => {
    const started = performance.now();
    const response = await fetch(`${url}/api/users/auth/code/request`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer timing-key-0123456789" },
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
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const [u, k] = [median(unknown), median(known)];
  const difference = Math.abs(u - k) / Math.min(u, k);
  console.log(`auth/code/request, ${rounds} requests each (sequential, alternating)`);
  console.log(`  unknown identifier: median ${u.toFixed(2)} ms`);
  console.log(`  active account:     median ${k.toFixed(2)} ms`);
  console.log(`  difference:         ${(difference * 100).toFixed(1)}% (goal: within 10%)`);
} finally {
  await app.close();
}

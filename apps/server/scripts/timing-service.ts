/**
 * What the timing scripts (auth-timing, login-code-timing, passkey-timing) share: a service on
 * its own FerretDB + Mailpit, silent, with one full-access key, stopped with everything it
 * started when the `await using` scope ends; the active account they time; and the median
 * they compare.
 */
import { randomBytes } from "node:crypto";
import { loadSettings } from "@usersvc/config";
import { createUserRepository } from "@usersvc/core";
import { startLocalDatabase, startLocalMailServer } from "@usersvc/local-stack";
import { createApp } from "../src/app";
import { createLogger } from "../src/logger";

export const timingApiKey = "timing-key-0123456789";

/** Starts the stack and the service; `env` adds or overrides settings (e.g. throttle limits). */
export async function startTimingService(env: Record<string, string> = {}) {
  const db = await startLocalDatabase();
  const mail = await startLocalMailServer().catch(async (error: unknown) => {
    await db[Symbol.asyncDispose]();
    throw error;
  });
  const stopStack = async () => {
    await mail[Symbol.asyncDispose]();
    await db[Symbol.asyncDispose]();
  };
  try {
    const settings = loadSettings({
      env: {
        APP_ENV: "test",
        SECRET_KEY: randomBytes(32).toString("hex"),
        API_KEYS: timingApiKey,
        MONGODB_URI: db.uri,
        MONGODB_DB: "timing",
        MAIL_SERVER: mail.smtpHost,
        MAIL_PORT: String(mail.smtpPort),
        PORT: "0",
        LOG_LEVEL: "silent",
        ...env,
      },
      envFile: null,
    });
    const app = await createApp(settings, createLogger({ level: "silent", pretty: false }));
    const url = await app.listen().catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
    const stop = async () => {
      await app.close();
      await stopStack();
    };
    return { settings, app, url, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await stopStack();
    throw error;
  }
}

/** Stores an active account `<username>@example.com` with `passwordHash` (no email sent). */
export function seedActiveUser(
  app: { connection: Parameters<typeof createUserRepository>[0] },
  username: string,
  passwordHash: string,
) {
  const users = createUserRepository(app.connection);
  return users.insert({
    id: users.newId(),
    username,
    first_name: "T",
    last_name: "T",
    email: `${username}@example.com`,
    password_hash: passwordHash,
    gender: "Other",
    role: "user",
    is_active: true,
    mfa_enabled: false,
    activation: null,
    mfa: null,
    email_change: null,
  });
}

/** The median of some timings (NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

import { randomBytes } from "node:crypto";
import { loadSettings, type Settings } from "@usersvc/config";
import { createUserRepository, currentTotp, type UserRecord } from "@usersvc/core";
import { createMailpitClient, type MailpitClient } from "@usersvc/local-stack";
import { type Collection, Types } from "mongoose";
import { inject } from "vitest";
import { type App, createApp } from "../src/app";
import { createLogger } from "../src/logger";
import type { FaultInjector } from "./faults";

declare module "vitest" {
  export interface ProvidedContext {
    /** The FerretDB and Mailpit started once by global-setup.ts. */
    stack: { mongoUri: string; smtpHost: string; smtpPort: number; mailpitUrl: string };
  }
}

export type TestServer = {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  apiKey: string;
  settings: Settings;
  app: App;
  /** The shared Mailpit; address mail to unique recipients to keep tests apart. */
  inbox: MailpitClient;
  /** fetch against the server with the API key set (unless `headers.authorization` overrides it). */
  api(path: string, init?: RequestInit): Promise<Response>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** The environment a test server starts with; override any variable. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const stack = inject("stack");
  return {
    APP_ENV: "test",
    SECRET_KEY: randomBytes(32).toString("base64url"),
    API_KEYS: `test-${randomBytes(16).toString("hex")}`,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DB: `test_${randomBytes(6).toString("hex")}`,
    MAIL_SERVER: stack.smtpHost,
    MAIL_PORT: String(stack.smtpPort),
    PORT: "0",
    LOG_LEVEL: "silent",
    OUTBOX_POLL_INTERVAL_MS: "100",
    OUTBOX_RETRY_BASE_MS: "200",
    OUTBOX_RETRY_MAX_MS: "1000",
    // Tests share busy machines where one hash may take a few hundred ms: bursts of logins in
    // tests of other things must not be shed (hash-queue.integration.test.ts tests shedding),
    // nor starved by hashing at a lowered priority among other busy processes (the
    // child-process runtime, the default, has its own test there).
    PASSWORD_HASH_MAX_WAIT_MS: "20000",
    PASSWORD_HASH_RUNTIME: "in-process",
    ...overrides,
  };
}

/**
 * A disposable server on its own database: `await using server = await startTestServer()`.
 * Disposal stops the server and drops the database.
 */
export async function startTestServer(
  overrides: Record<string, string> = {},
  options: { logLines?: string[]; worker?: boolean; faults?: FaultInjector } = {},
): Promise<TestServer> {
  const env = testEnv(overrides);
  const settings = loadSettings({ env, envFile: null });
  const { logLines } = options;
  const logger = createLogger({
    level: logLines ? "trace" : settings.logLevel,
    pretty: false,
    ...(logLines ? { destination: { write: (line: string) => void logLines.push(line) } } : {}),
  });
  const app = await createApp(
    settings,
    logger,
    options.faults ? { decoratePorts: options.faults.decorate } : {},
  );
  const url = await app.listen({ worker: options.worker ?? true });
  // Settings hold digests only: the first plain (full-access) key of API_KEYS, if any.
  const apiKey =
    (env.API_KEYS ?? "")
      .split(",")
      .map((key) => key.trim())
      .find((key) => key.length > 0 && !key.includes("/sha256:")) ?? "";
  return {
    url,
    apiKey,
    settings,
    app,
    inbox: createMailpitClient(inject("stack").mailpitUrl),
    api: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${apiKey}`);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    async [Symbol.asyncDispose]() {
      await app.connection.dropDatabase().catch(() => {});
      await app.close();
    },
  };
}

/**
 * Throttles count in fixed windows (multiples of the window's length since the epoch: the
 * server's `LOGIN_LOCKOUT_SECONDS`, or `windowSeconds`): attempts on both sides of a window's
 * end fill two windows, and none is locked. A test that counts attempts up to a lock calls
 * this first; with less than `marginSeconds` left of the current window it waits for the next
 * one (with the 900 s default, about 1 % of the time).
 */
export async function withinOneThrottleWindow(
  server: Pick<TestServer, "settings"> | { windowSeconds: number },
  marginSeconds = 10,
) {
  const windowSeconds =
    "settings" in server ? server.settings.loginThrottle.windowSeconds : server.windowSeconds;
  const windowMs = windowSeconds * 1_000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginSeconds * 1_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

/**
 * Forgets a user's slots of a throttle (`password`, `mfa`) in every window, as if the next
 * window had begun; its lock record and the day's count of failures stay.
 */
export function nextThrottleWindow(server: TestServer, throttle: "password" | "mfa", userId: string) {
  return storedCollection(server, "claims").deleteMany({
    _id: { $regex: `^throttle:${throttle}:user:${userId}:` } as never,
  });
}

/** Reads a JSON body as the shape the test expects (assertions then check it). */
export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** A valid registration body with unique username and email; override any field. */
export function newUserInput(overrides: Record<string, unknown> = {}) {
  const suffix = randomBytes(5).toString("hex");
  return {
    username: `user_${suffix}`,
    first_name: "John",
    last_name: "Doe",
    email: `john.${suffix}@example.com`,
    password: "Tulip-Kettle-Orbit-42",
    password_confirmation: "Tulip-Kettle-Orbit-42",
    gender: "Male",
    role: "user",
    ...overrides,
  };
}

/** POSTs a registration over REST. */
export function register(server: TestServer, body: unknown): Promise<Response> {
  return server.api("/api/users/", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Waits for the `count`-th activation email to `email` and returns its code. */
export async function activationCode(server: TestServer, email: string, count = 1): Promise<string> {
  const messages = await server.inbox.waitForMessages(email, { count });
  const last = messages[messages.length - 1];
  const code = /activation code is (\d{6})/.exec(last?.text ?? "")?.[1];
  if (!code) throw new Error(`no activation code in the email to ${email}`);
  return code;
}

/** Every key of a user in an answer, sorted: nothing more may appear (no hash, no secret). */
export const publicUserKeys = [
  "created_at",
  "email",
  "first_name",
  "gender",
  "id",
  "is_active",
  "last_name",
  "locale",
  "mfa_enabled",
  "role",
  "updated_at",
  "username",
];

/** Registers and activates a user; returns its input and id. */
export async function createActiveUser(server: TestServer, overrides: Record<string, unknown> = {}) {
  const input = newUserInput(overrides);
  const created = await register(server, input);
  if (created.status !== 201) throw new Error(`registration failed: ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const response = await activate(server, input.username, await activationCode(server, input.email));
  if (response.status !== 200) throw new Error(`activation failed: ${await response.text()}`);
  return { ...input, id };
}

/** POSTs JSON over REST with the API key. */
export function post(server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  return server.api(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** PATCHes an activation over REST. */
export function activate(server: TestServer, identifier: string, code: string): Promise<Response> {
  return server.api("/api/users/activation", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ identifier, code }),
  });
}

/** The stored documents of a collection as the database holds them, to arrange or check stored state. */
export function storedCollection(
  server: TestServer,
  name: "users" | "outbox" | "claims" | "password_resets" | "throttle_locks" | "passkeys",
): Collection {
  return server.app.connection.collection(name);
}

/** An id as stored (`_id` of a collection). */
export const storedId = (id: string) => new Types.ObjectId(id);

/** Inserts a user through the repository (no email is sent); returns the stored record. */
export function seedUser(
  server: TestServer,
  fields: Partial<UserRecord> & { password_hash: string },
): Promise<UserRecord> {
  const users = createUserRepository(server.app.connection);
  const suffix = randomBytes(5).toString("hex");
  return users.insert({
    id: users.newId(),
    username: `seed_${suffix}`,
    first_name: "Seed",
    last_name: "User",
    email: `seed.${suffix}@example.com`,
    gender: "Other",
    role: "user",
    is_active: false,
    mfa_enabled: false,
    activation: null,
    mfa: null,
    email_change: null,
    ...fields,
  });
}

/** PATCHes JSON over REST with the API key. */
export function patch(server: TestServer, path: string, body: unknown): Promise<Response> {
  return server.api(path, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The TOTP code of `secret` for the time step `seconds` from now (what an authenticator app shows then). */
export const codeAt = (secret: string, seconds: number) =>
  currentTotp(secret, Math.floor(Date.now() / 1000) + seconds);

/**
 * Turns MFA on for an active user: enrolment with its password, then a first code (the
 * previous time step, so that the current one is still unused). Its secret and recovery codes.
 */
export async function enableMfa(server: TestServer, user: { id: string; password: string }) {
  const enabled = await patch(server, "/api/users/mfa/enable", {
    id: user.id,
    current_password: user.password,
  });
  if (enabled.status !== 200) throw new Error(`mfa/enable failed: ${await enabled.text()}`);
  const { secret } = (await enabled.json()) as { secret: string };
  const confirmed = await patch(server, "/api/users/mfa/confirm", {
    id: user.id,
    code: await codeAt(secret, -30),
  });
  if (confirmed.status !== 200) throw new Error(`mfa/confirm failed: ${await confirmed.text()}`);
  const { recovery_codes } = (await confirmed.json()) as { recovery_codes: string[] };
  return { secret, recoveryCodes: recovery_codes };
}

/** The code of the confirmation email that an email change sent to `newEmail`. */
export async function emailChangeCode(server: TestServer, newEmail: string): Promise<string> {
  const [message] = await server.inbox.waitForMessages(newEmail);
  return /confirmation code is (\d{6})/.exec(message?.text ?? "")?.[1] ?? "";
}

/** Moves an active user to `newEmail`: the change with its password, then the emailed code. */
export async function changeEmail(
  server: TestServer,
  user: { id: string; password: string },
  newEmail: string,
) {
  const requested = await post(server, "/api/users/email/change", {
    id: user.id,
    new_email: newEmail,
    current_password: user.password,
  });
  if (requested.status !== 200) throw new Error(`email/change failed: ${await requested.text()}`);
  const code = await emailChangeCode(server, newEmail);
  const confirmed = await patch(server, "/api/users/email/confirm", { id: user.id, code });
  if (confirmed.status !== 200) throw new Error(`email/confirm failed: ${await confirmed.text()}`);
}

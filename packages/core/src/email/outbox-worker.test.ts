import { afterEach, describe, expect, it, vi } from "vitest";
import {
  activationCodes,
  createFakes,
  type Fakes,
  failNext,
  seedUser,
  single,
  storedUser,
} from "../../test/fakes";
import { createRegisterUser } from "../registration/register-user";
import { createResendActivation } from "../registration/resend-activation";
import type { UserRecord } from "../users/user";
import {
  activationEmail,
  emailChangeCodeEmail,
  emailChangedEmail,
  emailKindNamed,
  emailKinds,
  mfaDisabledEmail,
  mfaEnabledEmail,
  passwordChangedEmail,
  passwordResetEmail,
} from "./kinds";
import type { ClaimedMessage } from "./outbox-store";
import {
  createOutboxWorker,
  type OutboxEvent,
  type OutboxWorker,
  type OutboxWorkerOptions,
} from "./outbox-worker";

const options = { pollIntervalMs: 5, retryBaseMs: 100, retryMaxMs: 250, maxAttempts: 4, leaseMs: 30_000 };
const orphanAfterMs = 5 * 60_000;
const start = new Date("2030-01-01T00:00:00Z").getTime();

const running: OutboxWorker[] = [];

function startWorker(f: Fakes, overrides: Partial<OutboxWorkerOptions> = {}) {
  const events: OutboxEvent[] = [];
  const worker = createOutboxWorker({
    store: f.store,
    outbox: f.outbox,
    mailer: f.mailer,
    users: f.users,
    ...options,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  worker.start();
  running.push(worker);
  return { worker, events };
}

/** Waits (real time) until `condition` holds. */
async function eventually(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Freezes Date (timers stay real, so the worker keeps polling). */
function freezeDate(at = start) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
  vi.useRealTimers();
});

const notice = (userId: string, to = "alice@example.com") => ({
  kind: passwordChangedEmail,
  userId,
  ref: "notice",
  vars: { to, firstName: "Alice" },
});

const only = (f: Fakes) => single(f.store.messages());

describe("outbox worker", () => {
  it("sends queued email and marks it sent", async () => {
    const f = createFakes();
    await f.outbox.queue(notice("u1"));
    const { events } = startWorker(f);
    await eventually(() => f.mailer.sent.length === 1);
    expect(f.mailer.sent[0]?.to).toBe("alice@example.com");
    await eventually(() => only(f).status === "sent");
    expect(events).toEqual([{ type: "sent", id: only(f).id, kind: "password-changed" }]);
  });

  it("is woken by queuing, without waiting for its poll interval", async () => {
    const f = createFakes();
    startWorker(f, { pollIntervalMs: 60_000 });
    await pause(10); // asleep on an empty queue
    await f.outbox.queue(notice("u1"));
    await eventually(() => f.mailer.sent.length === 1, 1_000);
  });

  it("stops promptly, even while asleep, and sends nothing afterwards", async () => {
    const f = createFakes();
    const { worker } = startWorker(f, { pollIntervalMs: 60_000 });
    await pause(10);
    const stopping = performance.now();
    await worker.stop();
    expect(performance.now() - stopping).toBeLessThan(1_000);
    await f.outbox.queue(notice("u1"));
    await pause(20);
    expect(f.mailer.sent).toEqual([]);
    expect(only(f).status).toBe("pending");
  });

  it("retries a failed send later, with exponential backoff, and sends once the mailer recovers", async () => {
    freezeDate();
    const f = createFakes();
    f.mailer.failing = true;
    await f.outbox.queue(notice("u1"));
    const { events } = startWorker(f);
    await eventually(() => events.length === 1);
    expect(events[0]).toMatchObject({ type: "retry", attempts: 1, error: "SMTP is down" });
    const waiting = only(f);
    expect(waiting).toMatchObject({ status: "pending", attempts: 1, lastError: "SMTP is down" });
    // first retry: base * 2^0, with jitter in its upper half
    const delay = waiting.dueAt.getTime() - start;
    expect(delay).toBeGreaterThanOrEqual(options.retryBaseMs / 2);
    expect(delay).toBeLessThanOrEqual(options.retryBaseMs);

    await pause(30); // polls go on, but the retry is not due yet
    expect(events).toHaveLength(1);

    f.mailer.failing = false;
    vi.setSystemTime(waiting.dueAt);
    await eventually(() => only(f).status === "sent");
    expect(f.mailer.sent).toHaveLength(1);
  });

  it(`fails a message after ${options.maxAttempts} attempts, doubling the wait up to the cap`, async () => {
    freezeDate();
    const f = createFakes();
    f.mailer.failing = true;
    await f.outbox.queue(notice("u1"));
    const { events } = startWorker(f);
    for (let attempt = 1; attempt < options.maxAttempts; attempt++) {
      await eventually(() => events.length === attempt);
      const message = only(f);
      expect(message.attempts).toBe(attempt);
      const cap = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (attempt - 1));
      const delay = message.dueAt.getTime() - Date.now();
      expect(delay).toBeGreaterThanOrEqual(cap / 2);
      expect(delay).toBeLessThanOrEqual(cap);
      vi.setSystemTime(message.dueAt);
    }
    await eventually(() => only(f).status === "failed");
    expect(only(f).lastError).toBe("SMTP is down");
    expect(events.map((e) => e.type)).toEqual([...Array(options.maxAttempts - 1).fill("retry"), "failed"]);
    await pause(20);
    expect(events).toHaveLength(options.maxAttempts); // never tried again
  });

  it("reports a store failure and carries on", async () => {
    const f = createFakes();
    failNext(f.store, "claimNext");
    await f.outbox.queue(notice("u1"));
    const { events } = startWorker(f);
    await eventually(() => f.mailer.sent.length === 1);
    expect(events[0]).toEqual({ type: "error", error: new Error("injected fault") });
  });

  describe("with the kinds' send-time rules", () => {
    it("mails only the live activation code: the one a resend replaced is dropped", async () => {
      freezeDate();
      const f = createFakes();
      const codes = activationCodes(f);
      const register = createRegisterUser({
        events: f.events,
        claims: f.claims,
        users: f.users,
        outbox: f.outbox,
        hasher: f.hasher,
        policy: f.policy,
        codes,
        codeLifetimeMinutes: 60,
        activationUrl: "https://app.example.com/activate",
      });
      const resend = createResendActivation({
        users: f.users,
        outbox: f.outbox,
        codes,
        codeLifetimeMinutes: 60,
        activationUrl: "https://app.example.com/activate",
        cooldownSeconds: 60,
      });
      const user = await register({
        username: "alice",
        first_name: "Alice",
        last_name: "Martin",
        email: "alice@example.com",
        password: "Tulip-Kettle-Orbit-42",
        password_confirmation: "Tulip-Kettle-Orbit-42",
        gender: "Female",
        role: "user",
      });
      vi.setSystemTime(start + 60_000);
      await resend("alice");
      const live = (await storedUser(f, user.id)).activation?.code_id;
      const { events } = startWorker(f);
      await eventually(() => f.store.messages().every((m) => m.status !== "pending"));
      const byRef = new Map(f.store.messages().map((m) => [m.ref, m.status]));
      expect(byRef.get(live ?? "")).toBe("sent");
      expect([...byRef.values()].sort()).toEqual(["dropped", "sent"]);
      expect(events.filter((e) => e.type === "dropped")).toEqual([
        expect.objectContaining({ reason: "superseded" }),
      ]);
      expect(f.mailer.sent).toHaveLength(1);
    });

    it("drops an activation email once the user is active", async () => {
      const f = createFakes();
      const codes = activationCodes(f);
      const { state } = codes.newCode({ lifetimeMinutes: 60, userId: f.users.newId() });
      const { user } = await seedUser(f, { is_active: false, activation: state });
      await f.outbox.queue({
        kind: activationEmail,
        userId: user.id,
        ref: state.code_id,
        vars: {
          to: user.email,
          firstName: "A",
          code: "123456",
          link: "https://x/?token=t",
          expiresInMinutes: 60,
        },
      });
      f.users.set(user.id, { is_active: true, activation: null });
      startWorker(f);
      await eventually(() => only(f).status === "dropped");
      expect(f.mailer.sent).toEqual([]);
    });

    it("drops a reset link queued for an address the user no longer has, but sends the email-changed notice", async () => {
      const f = createFakes();
      const { user } = await seedUser(f, { email: "old@example.com" });
      await f.outbox.queue({
        kind: passwordResetEmail,
        userId: user.id,
        ref: "link",
        vars: {
          to: "old@example.com",
          firstName: "A",
          link: "https://app.example.com/r?token=t",
          expiresInMinutes: 30,
        },
      });
      await f.outbox.queue({
        kind: emailChangedEmail,
        userId: user.id,
        ref: "notice",
        vars: {
          to: "old@example.com",
          firstName: "A",
          newEmail: "new@example.com",
          revertLink: "https://x/?token=t",
          revertDays: 7,
        },
      });
      f.users.set(user.id, { email: "new@example.com", email_key: "new@example.com" });
      startWorker(f);
      await eventually(() => f.store.messages().every((m) => m.status !== "pending"));
      const statusOf = new Map(f.store.messages().map((m) => [m.kind, m.status]));
      expect(statusOf.get("password-reset")).toBe("dropped");
      expect(statusOf.get("email-changed")).toBe("sent");
      expect(f.mailer.sent.map((m) => m.subject)).toEqual(["Your email address was changed"]);
    });

    it("waits for a user not yet written (no attempt counted), then sends", async () => {
      const f = createFakes();
      const codes = activationCodes(f);
      const { state } = codes.newCode({ lifetimeMinutes: 60, userId: f.users.newId() });
      const id = f.users.newId();
      await f.outbox.queue({
        kind: activationEmail,
        userId: id,
        ref: state.code_id,
        vars: {
          to: "late@example.com",
          firstName: "L",
          code: "123456",
          link: "https://x/?token=t",
          expiresInMinutes: 60,
        },
      });
      startWorker(f);
      await eventually(() => only(f).lastError === "waiting for its user");
      await pause(20);
      expect(only(f)).toMatchObject({ status: "pending", attempts: 0 });
      expect(f.mailer.sent).toEqual([]);

      await f.users.insert({
        id,
        username: "late",
        first_name: "L",
        last_name: "Ate",
        email: "late@example.com",
        password_hash: "hash:x",
        gender: "Other",
        role: "user",
        is_active: false,
        mfa_enabled: false,
        activation: state,
        mfa: null,
        email_change: null,
      });
      await eventually(() => only(f).status === "sent");
      expect(f.mailer.sent.map((m) => m.to)).toEqual(["late@example.com"]);
    });

    it(`drops as orphaned an email whose user is still missing ${orphanAfterMs / 60_000} minutes after queuing`, async () => {
      freezeDate();
      const f = createFakes();
      await f.outbox.queue({
        kind: activationEmail,
        userId: f.users.newId(),
        ref: "code",
        vars: {
          to: "x@example.com",
          firstName: "X",
          code: "123456",
          link: "https://x/?token=t",
          expiresInMinutes: 60,
        },
      });
      const { events } = startWorker(f);
      await eventually(() => only(f).lastError === "waiting for its user");

      vi.setSystemTime(start + orphanAfterMs); // not more than the limit yet: still waiting
      await eventually(() => only(f).dueAt.getTime() > start + orphanAfterMs);
      expect(only(f).status).toBe("pending");

      vi.setSystemTime(only(f).dueAt);
      await eventually(() => only(f).status === "dropped");
      expect(only(f).lastError).toBe("orphaned");
      expect(events).toEqual([{ type: "dropped", id: only(f).id, reason: "orphaned" }]);
      expect(f.mailer.sent).toEqual([]);
    });
  });
});

describe("email kinds' send-time rules", () => {
  const message = (overrides: Partial<ClaimedMessage>): ClaimedMessage => ({
    id: "m1",
    userId: "u1",
    kind: "activation",
    ref: "code-1",
    attempts: 0,
    createdAt: new Date(start),
    email: { to: "alice@example.com", subject: "s", text: "t", html: "h" },
    ...overrides,
  });
  const code = (code_id: string, sentAt: number) => ({
    code_id,
    code_hash: "h",
    token_hash: "t",
    expires_at: new Date(sentAt + 3_600_000),
    attempts: 0,
    sent_at: new Date(sentAt),
    resends: 0,
  });
  async function user(overrides: Partial<UserRecord> = {}): Promise<UserRecord> {
    const { user: seeded } = await seedUser(createFakes(), { email: "Alice@Example.com", is_active: false });
    return { ...seeded, ...overrides };
  }
  const judge = (
    kind: { stillWanted?: (m: ClaimedMessage, u: UserRecord | null) => string },
    m: ClaimedMessage,
    u: UserRecord | null,
  ) => (kind.stillWanted ? kind.stillWanted(m, u) : "send");

  it("activation: sends the live code, drops older codes and active users, waits for newer ones or no user", async () => {
    const rule = (m: ClaimedMessage, u: UserRecord | null) => judge(activationEmail, m, u);
    const pending = await user({ activation: code("code-1", start) });
    expect(rule(message({}), pending)).toBe("send");
    expect(rule(message({}), null)).toBe("wait");
    expect(rule(message({}), { ...pending, is_active: true, activation: null })).toBe("drop");
    // another code is live: older messages are superseded, newer ones wait for their code's write
    const replaced = await user({ activation: code("code-2", start + 1_000) });
    expect(rule(message({ createdAt: new Date(start + 999) }), replaced)).toBe("drop");
    expect(rule(message({ createdAt: new Date(start + 1_000) }), replaced)).toBe("wait");
  });

  it("password reset: sent only to the user's current address (ignoring case)", async () => {
    const rule = (m: ClaimedMessage, u: UserRecord | null) => judge(passwordResetEmail, m, u);
    const alice = await user();
    expect(
      rule(message({ email: { to: "alice@example.COM", subject: "", text: "", html: "" } }), alice),
    ).toBe("send");
    expect(rule(message({ email: { to: "old@example.com", subject: "", text: "", html: "" } }), alice)).toBe(
      "drop",
    );
    expect(rule(message({}), null)).toBe("drop");
  });

  it("email-change code: sends the live code, drops older ones and deleted users, waits for newer ones", async () => {
    const rule = (m: ClaimedMessage, u: UserRecord | null) => judge(emailChangeCodeEmail, m, u);
    const change = (id: string, at: number) => ({
      ...code(id, at),
      new_email: "n@example.com",
      new_email_key: "n@example.com",
    });
    expect(rule(message({}), await user({ email_change: change("code-1", start) }))).toBe("send");
    expect(rule(message({}), null)).toBe("drop");
    const replaced = await user({ email_change: change("code-2", start + 1_000) });
    expect(rule(message({}), replaced)).toBe("drop");
    expect(rule(message({ createdAt: new Date(start + 2_000) }), replaced)).toBe("wait");
  });

  it("notices are always sent; every kind has a distinct stored name", () => {
    expect(passwordChangedEmail.stillWanted).toBeUndefined();
    expect(emailChangedEmail.stillWanted).toBeUndefined();
    expect(mfaEnabledEmail.stillWanted).toBeUndefined();
    expect(mfaDisabledEmail.stillWanted).toBeUndefined();
    const names = emailKinds.map((k) => k.kind);
    expect(new Set(names).size).toBe(names.length);
    for (const kind of emailKinds) expect(emailKindNamed(kind.kind)).toBe(kind);
    expect(emailKindNamed("no-longer-sent")).toBeUndefined();
  });
});

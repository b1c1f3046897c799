import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { createFakes, fakeAuditStore, fakeWebhookStores, seedUser } from "../../test/fakes";
import type { AuditEvent } from "../events/audit-store";
import { createWebhookFanout } from "./fanout";
import { type WebhookRequest, WebhookSendError } from "./http-sender";
import { newWebhookSecret } from "./signing";
import { createWebhookWorker } from "./worker";

function setup(options: { maxAttempts?: number; disableAfterMs?: number } = {}) {
  const f = createFakes();
  const audit = fakeAuditStore();
  const stores = fakeWebhookStores();
  const sent: WebhookRequest[] = [];
  const target = { failing: false };
  const worker = createWebhookWorker({
    fanout: createWebhookFanout({
      events: audit,
      subscriptions: stores.subscriptions,
      deliveries: stores.deliveries,
      users: f.users,
    }),
    deliveries: stores.deliveries,
    subscriptions: stores.subscriptions,
    keys: f.keys,
    async send(request) {
      sent.push(request);
      if (target.failing) throw new WebhookSendError("answered HTTP 503", 503, 5);
      return { statusCode: 204, durationMs: 5 };
    },
    pollIntervalMs: 0,
    retryBaseMs: 1_000,
    retryMaxMs: 10_000,
    maxAttempts: options.maxAttempts ?? 3,
    leaseMs: 60_000,
    disableAfterMs: options.disableAfterMs ?? 3_600_000,
  });
  const subscribe = async (eventTypes: AuditEvent["type"][], enabled = true) => {
    const secret = newWebhookSecret();
    const sub = await stores.subscriptions.create({
      id: stores.subscriptions.newId(),
      url: "https://hooks.example.com/x",
      eventTypes,
      enabled,
      description: null,
      secretSealed: f.keys.seal(secret),
      previousSecretSealed: null,
      previousSecretUntil: null,
      failureStreak: 0,
      failingSince: null,
      lastSuccessAt: null,
      disabledReason: null,
    });
    return { sub, secret };
  };
  const record = (type: AuditEvent["type"], userId: string | null) =>
    audit.insert({
      id: audit.newId(),
      type,
      userId,
      actor: "k",
      clientIp: null,
      requestId: null,
      details: {},
      timestamp: new Date(),
    });
  /** Runs the worker until it finds nothing to do. */
  const drain = async () => {
    for (let i = 0; i < 100 && (await worker.step()); i++);
  };
  return { f, audit, stores, sent, target, worker, subscribe, record, drain };
}

describe("webhook fan-out and delivery", () => {
  it("delivers each event to the enabled subscriptions that want its type, signed, with the event id as webhook-id", async () => {
    const t = setup();
    const { user } = await seedUser(t.f, { username: "ann" });
    const wanted = await t.subscribe(["user.registered"]);
    await t.subscribe(["user.deleted"]);
    await t.subscribe(["user.registered"], false);
    await t.record("user.registered", user.id);
    await t.drain();
    expect(t.sent).toHaveLength(1);
    const [request] = t.sent;
    const event = new Webhook(wanted.secret).verify(request?.body ?? "", request?.headers ?? {}) as Record<
      string,
      unknown
    >;
    expect(event).toMatchObject({
      id: t.audit.all()[0]?.id,
      type: "user.registered",
      data: { user: { username: "ann" } },
    });
    expect(request?.headers["webhook-id"]).toBe(t.audit.all()[0]?.id);
  });

  it("fan-out running again (another instance, a crash before marking) creates no second delivery", async () => {
    const t = setup();
    await t.subscribe(["login.failed"]);
    await t.record("login.failed", null);
    const fanout = createWebhookFanout({
      events: { ...t.audit, markFannedOut: async () => {} },
      subscriptions: t.stores.subscriptions,
      deliveries: t.stores.deliveries,
      users: t.f.users,
    });
    await fanout.runOnce();
    await fanout.runOnce();
    await t.drain();
    expect(t.stores.allDeliveries()).toHaveLength(1);
    expect(t.sent).toHaveLength(1);
  });

  it("retries a failing target with backoff, then marks the delivery failed after maxAttempts", async () => {
    const t = setup({ maxAttempts: 3 });
    await t.subscribe(["user.deleted"]);
    t.target.failing = true;
    await t.record("user.deleted", null);
    await t.drain();
    const [pending] = t.stores.allDeliveries();
    expect(pending).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 503 });
    expect(pending?.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 800);
    t.stores.makeDue();
    await t.drain();
    t.stores.makeDue();
    await t.drain();
    expect(t.stores.allDeliveries()[0]).toMatchObject({
      status: "failed",
      attempts: 3,
      lastError: "answered HTTP 503",
    });
    expect(t.sent).toHaveLength(3);
  });

  it("disables a subscription failing long enough (10+ tries); its waiting deliveries then fail untried", async () => {
    const t = setup({ maxAttempts: 100, disableAfterMs: 0 });
    const { sub } = await t.subscribe(["user.deleted"]);
    t.target.failing = true;
    for (let i = 0; i < 2; i++) await t.record("user.deleted", null);
    for (let round = 0; round < 6; round++) {
      t.stores.makeDue();
      await t.drain();
    }
    const disabled = await t.stores.subscriptions.get(sub.id);
    expect(disabled).toMatchObject({ enabled: false });
    expect(disabled?.disabledReason).toMatch(/disabled automatically: 10 failed deliveries/);
    t.stores.makeDue();
    await t.drain();
    expect(t.sent).toHaveLength(10);
    expect(t.stores.allDeliveries().map((d) => d.status)).toEqual(["failed", "failed"]);
  });
});

describe("webhook worker wakes", () => {
  it("fans a burst of recorded events out in one batch, not one database query per event", async () => {
    let runs = 0;
    let pending = 0;
    const stores = fakeWebhookStores();
    const f = createFakes();
    const worker = createWebhookWorker({
      fanout: {
        batchSize: 50,
        async runOnce() {
          runs++;
          const handled = pending;
          pending = 0;
          return handled;
        },
      },
      deliveries: stores.deliveries,
      subscriptions: stores.subscriptions,
      keys: f.keys,
      send: async () => ({ statusCode: 204, durationMs: 1 }),
      pollIntervalMs: 60_000,
      retryBaseMs: 1_000,
      retryMaxMs: 10_000,
      maxAttempts: 3,
      leaseMs: 60_000,
      disableAfterMs: 3_600_000,
      wakeGapMs: 100,
    });
    worker.start();
    try {
      await expect.poll(() => runs).toBe(1); // the start fans out what waited
      for (let i = 0; i < 20; i++) {
        pending++;
        worker.wake();
      }
      // The twenty wakes within the gap join one batch, fanned out once the gap has passed.
      await expect.poll(() => pending, { timeout: 2_000 }).toBe(0);
      expect(runs).toBe(2);
    } finally {
      await worker.stop();
    }
  });
});

import { randomBytes } from "node:crypto";
import { createAuditRepository, webhookEventSchema } from "@usersvc/core";
import { describe, expect, it } from "vitest";
import { rotateKeys } from "../scripts/rotate-keys";
import {
  activate,
  activationCode,
  json,
  newUserInput,
  post,
  register,
  startTestServer,
  storedId,
  type TestServer,
} from "./harness";
import { startReceiver } from "./webhook-receiver";

/** Fast retries, loopback targets allowed (the receiver runs on 127.0.0.1). */
const webhookEnv = {
  WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
  WEBHOOKS_POLL_INTERVAL_MS: "50",
  WEBHOOKS_RETRY_BASE_MS: "100",
  WEBHOOKS_RETRY_MAX_MS: "400",
  WEBHOOKS_MAX_ATTEMPTS: "1000",
  WEBHOOKS_TIMEOUT_MS: "2000",
};

type Webhook = {
  id: string;
  secret: string;
  enabled: boolean;
  failure_streak: number;
  last_success_at: string | null;
};
type Delivery = {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_error: string | null;
};

const subscribe = async (server: TestServer, body: Record<string, unknown>) => {
  const response = await post(server, "/api/users/webhooks", body);
  expect(response.status).toBe(201);
  return json<Webhook>(response);
};

const deliveriesOf = async (server: TestServer, id: string) =>
  (await json<{ items: Delivery[] }>(await server.api(`/api/users/webhooks/deliveries?id=${id}&limit=100`)))
    .items;

const eventIdsOf = async (server: TestServer, userId: string, type: string) =>
  (
    await json<{ items: { id: string }[] }>(
      await server.api(`/api/users/events?user_id=${userId}&type=${type}`),
    )
  ).items.map((e) => e.id);

async function registerAndActivate(server: TestServer) {
  const input = newUserInput();
  const created = await register(server, input);
  const { id } = await json<{ id: string }>(created);
  expect((await activate(server, input.username, await activationCode(server, input.email))).status).toBe(
    200,
  );
  return { ...input, id };
}

describe("webhooks: signed deliveries a consumer verifies", () => {
  it("delivers each subscribed event once, signed (Standard Webhooks), with webhook-id = the audit event id; the test event too", async () => {
    let secret = "";
    await using receiver = await startReceiver(() => secret);
    await using server = await startTestServer(webhookEnv);
    const webhook = await subscribe(server, {
      url: receiver.url(),
      event_types: ["user.registered", "user.activated", "user.deleted"],
      description: "billing",
    });
    secret = webhook.secret;
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    // The secret is shown once: never again.
    const shown = await json(await server.api(`/api/users/webhooks/id?id=${webhook.id}`));
    expect(JSON.stringify(shown)).not.toContain(secret);
    expect(JSON.stringify(await json(await server.api("/api/users/webhooks")))).not.toContain(secret);

    const user = await registerAndActivate(server);
    expect((await server.api(`/api/users/id?id=${user.id}`, { method: "DELETE" })).status).toBe(200);
    await receiver.waitFor((r) => r.length >= 3);
    expect(receiver.rejected).toEqual([]);
    const events = receiver.received.map((r) => webhookEventSchema.parse(r.event));
    expect(events.map((e) => e.type)).toEqual(["user.registered", "user.activated", "user.deleted"]);
    for (const [i, r] of receiver.received.entries()) expect(r.id).toBe(events[i]?.id);
    expect(events[0]?.data.user).toMatchObject({ id: user.id, username: user.username });
    expect(events[2]?.data.user).toBeNull(); // gone by then
    expect(events.map((e) => e.id)).toEqual([
      ...(await eventIdsOf(server, user.id, "user.registered")),
      ...(await eventIdsOf(server, user.id, "user.activated")),
      ...(await eventIdsOf(server, user.id, "user.deleted")),
    ]);
    for (const r of receiver.received) expect(r.body).not.toContain(user.password);

    const test = await post(server, "/api/users/webhooks/test", { id: webhook.id });
    expect(test.status).toBe(202);
    await receiver.waitFor((r) => r.some((d) => d.event.type === "webhook.test"));
    const log = await deliveriesOf(server, webhook.id);
    expect(log.map((d) => d.event_type)).toEqual([
      "webhook.test",
      "user.deleted",
      "user.activated",
      "user.registered",
    ]);
    expect(log.every((d) => d.status === "delivered" && d.attempts === 0)).toBe(true);
    const metrics = await (await server.api("/metrics")).text();
    expect(metrics).toMatch(/^users_webhook_attempts_total\{outcome="delivered"\} 4$/m);
    expect(metrics).toMatch(/^users_webhook_delivery_duration_seconds_count 4$/m);
    expect(metrics).toMatch(/^users_webhook_deliveries\{status="pending"\} 0$/m);
    const after = await json<Webhook>(await server.api(`/api/users/webhooks/id?id=${webhook.id}`));
    expect(after).toMatchObject({ failure_streak: 0, enabled: true });
    expect(after.last_success_at).not.toBeNull();
  });

  it("with the receiver down for a while, every event still arrives once it is back (duplicates only with the same webhook-id)", async () => {
    let secret = "";
    await using receiver = await startReceiver(() => secret);
    await using server = await startTestServer(webhookEnv);
    const webhook = await subscribe(server, { url: receiver.url(), event_types: ["user.registered"] });
    secret = webhook.secret;
    await receiver.stop();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await register(server, newUserInput());
      ids.push((await json<{ id: string }>(created)).id);
    }
    // Refused connections are logged and retried.
    const deadline = Date.now() + 10_000;
    let log = await deliveriesOf(server, webhook.id);
    while (!(log.length === 4 && log.every((d) => d.attempts >= 2)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      log = await deliveriesOf(server, webhook.id);
    }
    expect(log.every((d) => d.status === "pending" && d.attempts >= 2 && d.last_error !== null)).toBe(true);
    expect(
      (await json<Webhook>(await server.api(`/api/users/webhooks/id?id=${webhook.id}`))).failure_streak,
    ).toBeGreaterThanOrEqual(8);

    await receiver.start();
    await receiver.waitFor((r) => new Set(r.map((d) => d.id)).size >= 4);
    const expected = (await Promise.all(ids.map((id) => eventIdsOf(server, id, "user.registered")))).flat();
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set(expected));
    // A repeated delivery carries the same webhook-id and the same body.
    for (const r of receiver.received) {
      expect(r.event.id).toBe(r.id);
      const first = receiver.received.find((other) => other.id === r.id);
      expect(r.body).toBe(first?.body);
    }
    expect(receiver.rejected).toEqual([]);
    const metrics = await (await server.api("/metrics")).text();
    expect(metrics).toMatch(/^users_webhook_attempts_total\{outcome="retry"\} ([89]|\d\d+)$/m);
  });

  it("rotation: the new secret verifies at once and the old one during the grace period; without grace only the new one", async () => {
    let secret = "";
    await using receiver = await startReceiver(() => secret);
    await using server = await startTestServer(webhookEnv);
    const webhook = await subscribe(server, { url: receiver.url(), event_types: ["user.registered"] });
    const old = webhook.secret;
    const rotated = await json<Webhook>(
      await post(server, "/api/users/webhooks/secret/rotate", { id: webhook.id }),
    );
    expect(rotated.secret).not.toBe(old);
    secret = old; // a consumer that has not switched yet
    await register(server, newUserInput());
    await receiver.waitFor((r) => r.length >= 1);
    secret = rotated.secret; // and one that has
    await post(server, "/api/users/webhooks/test", { id: webhook.id });
    await receiver.waitFor((r) => r.length >= 2);
    const hard = await json<Webhook>(
      await post(server, "/api/users/webhooks/secret/rotate", { id: webhook.id, keep_previous_hours: 0 }),
    );
    secret = rotated.secret; // the old one is dead now
    await post(server, "/api/users/webhooks/test", { id: webhook.id });
    await receiver.waitFor(() => receiver.rejected.length >= 1);
    secret = hard.secret;
    await receiver.waitFor((r) => r.length >= 3);
  });

  it("management: update, disable (nothing more is delivered), 404 for unknown ids, delete", async () => {
    await using receiver = await startReceiver();
    await using server = await startTestServer(webhookEnv);
    const webhook = await subscribe(server, { url: receiver.url(), event_types: ["user.deleted"] });
    const updated = await server.api("/api/users/webhooks/id", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: webhook.id,
        enabled: false,
        event_types: ["user.registered", "user.deleted"],
      }),
    });
    expect(updated.status).toBe(200);
    expect(await json(updated)).toMatchObject({
      enabled: false,
      event_types: ["user.registered", "user.deleted"],
    });
    // A second, enabled subscription shows when the event has been fanned out.
    let secret = "";
    await using other = await startReceiver(() => secret);
    secret = (await subscribe(server, { url: other.url(), event_types: ["user.registered"] })).secret;
    await register(server, newUserInput());
    await other.waitFor((r) => r.length === 1);
    expect(await deliveriesOf(server, webhook.id)).toEqual([]);
    const unknown = "0123456789abcdef01234567";
    for (const response of [
      await server.api(`/api/users/webhooks/id?id=${unknown}`),
      await server.api(`/api/users/webhooks/deliveries?id=${unknown}`),
      await post(server, "/api/users/webhooks/test", { id: unknown }),
      await server.api(`/api/users/webhooks/id?id=${unknown}`, { method: "DELETE" }),
    ]) {
      expect(response.status).toBe(404);
      expect(await json(response)).toMatchObject({ code: "WEBHOOK_NOT_FOUND" });
    }
    const bad = await post(server, "/api/users/webhooks", { url: "ftp://example.com/x", event_types: [] });
    expect(bad.status).toBe(400);
    expect((await json<{ issues: { path: string }[] }>(bad)).issues.map((i) => i.path).sort()).toEqual([
      "event_types",
    ]);
    // Body types are not coerced: {} is not a boolean, "5" is not a number.
    const notBoolean = await post(server, "/api/users/webhooks", {
      url: receiver.url(),
      event_types: ["user.deleted"],
      enabled: {},
    });
    expect(await json(notBoolean)).toMatchObject({ code: "VALIDATION_ERROR", issues: [{ path: "enabled" }] });
    const notNumber = await post(server, "/api/users/webhooks/secret/rotate", {
      id: webhook.id,
      keep_previous_hours: "5",
    });
    expect(await json(notNumber)).toMatchObject({
      code: "VALIDATION_ERROR",
      issues: [{ path: "keep_previous_hours" }],
    });
    // PATCH's enabled neither: "false" passing as true would switch on a subscription being switched off.
    const notBooleanPatch = await server.api("/api/users/webhooks/id", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: webhook.id, enabled: "false" }),
    });
    expect(await json(notBooleanPatch)).toMatchObject({
      code: "VALIDATION_ERROR",
      issues: [{ path: "enabled" }],
    });
    expect(await json(await server.api(`/api/users/webhooks/id?id=${webhook.id}`))).toMatchObject({
      enabled: false,
    });
    const badUrl = await post(server, "/api/users/webhooks", {
      url: "ftp://example.com/x",
      event_types: ["user.deleted"],
    });
    expect(await json(badUrl)).toMatchObject({ code: "VALIDATION_ERROR", issues: [{ path: "url" }] });
    expect((await server.api(`/api/users/webhooks/id?id=${webhook.id}`, { method: "DELETE" })).status).toBe(
      200,
    );
    expect(
      (await json<{ items: { id: string }[] }>(await server.api("/api/users/webhooks"))).items.map(
        (w) => w.id,
      ),
    ).not.toContain(webhook.id);
  });
});

describe("webhooks: SECRET_KEY rotation", () => {
  it("a secret sealed under the old key keeps signing; rotate-keys re-seals it, and the new key alone then signs", async () => {
    const keyA = randomBytes(32).toString("base64url");
    const keyB = randomBytes(32).toString("base64url");
    let secret = "";
    await using receiver = await startReceiver(() => secret);
    await using a = await startTestServer({ ...webhookEnv, SECRET_KEY: keyA }, { worker: false });
    const webhook = await subscribe(a, { url: receiver.url(), event_types: ["user.registered"] });
    secret = webhook.secret;
    const rotated = await rotateKeys({
      settings: { ...a.settings, secretKey: keyB, previousSecretKeys: [keyA] },
      print: () => {},
    });
    expect(rotated.report.webhooks.resealed).toBe(1);
    expect(rotated.remaining.webhooks).toBe(0);
    await using b = await startTestServer({
      ...webhookEnv,
      SECRET_KEY: keyB,
      MONGODB_DB: a.settings.mongodb.dbName,
    });
    await post(b, "/api/users/webhooks/test", { id: webhook.id });
    await receiver.waitFor((r) => r.length === 1);
    expect(receiver.rejected).toEqual([]);
  });
});

describe("webhooks: SSRF safety in production", () => {
  const production = {
    APP_ENV: "production",
    RESET_PASSWORD_URL: "https://app.example.com/reset-password",
    ACTIVATION_URL: "https://app.example.com/activate",
    EMAIL_CONFIRM_URL: "https://app.example.com/confirm-email",
    EMAIL_REVERT_URL: "https://app.example.com/revert-email",
    WEBHOOKS_POLL_INTERVAL_MS: "50",
    WEBHOOKS_RETRY_BASE_MS: "100",
    WEBHOOKS_RETRY_MAX_MS: "400",
  };

  it("refuses http:// and private address literals when saved, and a name resolving to loopback at delivery", async () => {
    await using server = await startTestServer(production);
    for (const url of [
      "http://billing.example.com/hook",
      "https://10.1.2.3/hook",
      "https://169.254.169.254/latest",
      "https://[::1]/x",
      "https://[fd00::1]/x",
      "https://100.64.0.1/x",
    ]) {
      const refused = await post(server, "/api/users/webhooks", { url, event_types: ["user.registered"] });
      expect(refused.status, url).toBe(400);
      expect(await json(refused)).toMatchObject({ code: "VALIDATION_ERROR", issues: [{ path: "url" }] });
    }
    // "localhost" passes when saved (a name), and is refused when it resolves to 127.0.0.1 / ::1.
    await using receiver = await startReceiver();
    const port = new URL(receiver.url()).port;
    const webhook = await subscribe(server, {
      url: `https://localhost:${port}/hook`,
      event_types: ["user.registered"],
    });
    await post(server, "/api/users/webhooks/test", { id: webhook.id });
    const deadline = Date.now() + 10_000;
    let log = await deliveriesOf(server, webhook.id);
    while (!log[0]?.last_error && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      log = await deliveriesOf(server, webhook.id);
    }
    expect(log[0]?.last_error).toMatch(/localhost resolves to a loopback address/);
    expect(receiver.received).toEqual([]);
    expect(receiver.rejected).toEqual([]);
  });
});

describe("webhooks: upgrading from the boolean fan-out mark", () => {
  it("takes events that an earlier version's instance still running queues as `fanout: true` after the start", async () => {
    await using server = await startTestServer(webhookEnv, { worker: false });
    const audit = createAuditRepository(server.app.connection, { legacyMarkEveryMs: 0 });
    await audit.ensureIndexes();
    const raw = server.app.connection.collection("audit_events");
    const late = {
      _id: storedId(audit.newId()),
      type: "user.registered",
      timestamp: new Date(),
      fanout: true,
    };
    await raw.insertOne({
      ...late,
      user_id: null,
      actor: null,
      client_ip: null,
      request_id: null,
      details: {},
    });
    const pending = await audit.pendingFanout(10);
    expect(pending.map((event) => event.id)).toContain(late._id.toHexString());
    await audit.markFannedOut([late._id.toHexString()]);
    expect(await raw.countDocuments({ fanout: { $exists: true } })).toBe(0);
  });

  it("an event an earlier version queued as `fanout: true` is still delivered, and the queue's index is replaced", async () => {
    let secret = "";
    await using receiver = await startReceiver(() => secret);
    const database = `test_${randomBytes(6).toString("hex")}`;
    // The same database and key (the subscription's secret is sealed under it).
    const env = { ...webhookEnv, MONGODB_DB: database, SECRET_KEY: randomBytes(32).toString("base64url") };
    // The earlier version: its index of the queue, and an event it queued (no worker runs).
    const before = await startTestServer(env, { worker: false });
    const webhook = await subscribe(before, { url: receiver.url(), event_types: ["user.registered"] });
    secret = webhook.secret;
    const events = before.app.connection.collection("audit_events");
    // The first version's index, and a `fanout_pending` of other keys (work in progress).
    await events.dropIndex("fanout_pending");
    await events.createIndex({ fanout: -1, _id: 1 }, { name: "fanout_pending" });
    await events.createIndex({ fanout: 1, _id: 1 });
    const { id } = await json<{ id: string }>(await register(before, newUserInput()));
    // The registration's event and the subscription's own (webhook.created).
    const marked = await events.updateMany({ fanout: "pending" }, { $set: { fanout: true } });
    expect(marked.modifiedCount).toBe(2);
    await before.app.close();

    await using after = await startTestServer(env);
    await receiver.waitFor((r) => r.length >= 1);
    expect(receiver.received.map((r) => r.event.type)).toEqual(["user.registered"]);
    expect(receiver.received[0]?.id).toEqual((await eventIdsOf(after, id, "user.registered"))[0]);
    const indexes = await after.app.connection.collection("audit_events").indexes();
    expect(indexes.find((index) => index.name === "fanout_1__id_1")).toBeUndefined();
    expect(indexes.find((index) => index.name === "fanout_pending")).toMatchObject({
      key: { fanout: 1 },
    }); // (sparse on MongoDB; FerretDB ignores the option, see GOTCHAS.md)
    expect(
      await after.app.connection.collection("audit_events").countDocuments({ fanout: { $exists: true } }),
    ).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { createFakes, fakeWebhookStores } from "../../test/fakes";
import { DomainError } from "../errors";
import { createWebhookManagement } from "./manage";

function setup() {
  const f = createFakes();
  const stores = fakeWebhookStores();
  const management = createWebhookManagement({
    subscriptions: stores.subscriptions,
    deliveries: stores.deliveries,
    keys: f.keys,
    policy: { allowPrivateTargets: false, allowHttp: false },
    newEventId: () => "0123456789abcdef01234567",
    events: f.events,
    wake: () => {},
  });
  return { management, events: f.events };
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("webhook management: the delivery log's cursor", () => {
  it("refuses a cursor whose time is not a date (a 400 that names the cursor, not an invalid date sent to the database)", async () => {
    const { management } = setup();
    const { id } = await management.create({
      url: "https://hooks.example.com/x",
      event_types: ["user.registered"],
      enabled: true,
    });
    const deliveryId = `${"a".repeat(24)}:${"b".repeat(24)}`;
    // 1e300 ms is past the last date JavaScript has; JSON's 1e400 parses as Infinity.
    for (const json of [`[1e300,"${deliveryId}"]`, `[1e400,"${deliveryId}"]`]) {
      const cursor = Buffer.from(json).toString("base64url");
      const error = await management.deliveries({ id, limit: 20, cursor }).catch((e: unknown) => e);
      expect(error, json).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: "VALIDATION_ERROR", issues: [{ path: "cursor" }] });
    }
    const valid = cursorOf([Date.now(), deliveryId]);
    await expect(management.deliveries({ id, limit: 20, cursor: valid })).resolves.toMatchObject({
      items: [],
    });
  });
});

describe("webhook management: the audit trail", () => {
  it("records who subscribed what: created, updated (which fields), secret rotated, deleted; never the secret or the URL's path", async () => {
    const { management, events } = setup();
    const created = await management.create({
      url: "https://hooks.example.com/in?token=receiver-secret",
      event_types: ["user.registered"],
      enabled: true,
    });
    await management.update({ id: created.id, event_types: ["user.deleted"], enabled: false });
    const rotated = await management.rotateSecret({ id: created.id, keep_previous_hours: 0 });
    await management.remove({ id: created.id });
    expect(events.types()).toEqual([
      "webhook.created",
      "webhook.updated",
      "webhook.secret_rotated",
      "webhook.deleted",
    ]);
    expect(events.recorded.every((event) => event.userId === null)).toBe(true);
    expect(events.recorded[0]?.details).toEqual({
      webhook_id: created.id,
      target: "https://hooks.example.com",
      event_types: ["user.registered"],
      enabled: true,
    });
    expect(events.recorded[1]?.details).toMatchObject({ fields: ["event_types", "enabled"], enabled: false });
    const text = JSON.stringify(events.recorded);
    for (const secret of [created.secret, rotated.secret, "receiver-secret"])
      expect(text).not.toContain(secret);
  });

  it("records nothing when the subscription does not exist", async () => {
    const { management, events } = setup();
    const missing = "0123456789abcdef01234567";
    await expect(management.update({ id: missing, enabled: false })).rejects.toMatchObject({
      code: "WEBHOOK_NOT_FOUND",
    });
    await expect(management.remove({ id: missing })).rejects.toMatchObject({ code: "WEBHOOK_NOT_FOUND" });
    expect(events.recorded).toEqual([]);
  });
});

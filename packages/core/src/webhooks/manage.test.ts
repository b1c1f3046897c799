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
    wake: () => {},
  });
  return { management };
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

import { describe, expect, it } from "vitest";
import { newUserInput, register, startTestServer, storedCollection, testEnv } from "./harness";

describe("outbox with several instances", () => {
  it("sends each queued email exactly once when two servers share the database", async () => {
    const shared = testEnv();
    await using first = await startTestServer({ ...shared, OUTBOX_POLL_INTERVAL_MS: "20" });
    await using second = await startTestServer({
      ...shared,
      OUTBOX_POLL_INTERVAL_MS: "20",
      MONGODB_DB: first.settings.mongodb.dbName,
    });
    const inputs = Array.from({ length: 12 }, () => newUserInput());
    await Promise.all(inputs.map((input, i) => register(i % 2 ? first : second, input)));
    for (const input of inputs) await first.inbox.waitForMessages(input.email);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const input of inputs) expect(await first.inbox.messagesTo(input.email)).toHaveLength(1);

    const sent = await storedCollection(first, "outbox").find().toArray();
    expect(sent).toHaveLength(12);
    expect(sent.every((m) => m.status === "sent" && m.payload_enc === undefined)).toBe(true);
  });
});

import { createClaimStore, createKeyring, createOutboxRepository } from "@usersvc/core";
import { Types } from "mongoose";
import { describe, expect, it } from "vitest";
import { startTestServer } from "./harness";

describe("outbox retention", () => {
  it("deletes sent and dropped messages past their retention; keeps failed, pending and recent ones", async () => {
    await using server = await startTestServer({}, { worker: false });
    const { connection } = server.app;
    const outbox = createOutboxRepository({
      connection,
      claims: createClaimStore(connection),
      keys: createKeyring({ current: server.settings.secretKey }),
    });
    const day = 86_400_000;
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * day);
    const rows = [
      { ref: "sent-old", status: "sent", updated_at: at(8) },
      { ref: "sent-recent", status: "sent", updated_at: at(6) },
      { ref: "dropped-old", status: "dropped", updated_at: at(30) },
      { ref: "failed-old", status: "failed", updated_at: at(30) },
      { ref: "pending-old", status: "pending", updated_at: at(30) },
    ];
    await connection.collection("outbox").insertMany(
      rows.map((row) => ({
        ...row,
        _id: new Types.ObjectId(),
        user_id: new Types.ObjectId(),
        kind: "test",
      })),
    );

    expect(await outbox.purgeFinished(at(7))).toBe(2);
    const left = await connection.collection("outbox").find({}).toArray();
    expect(left.map((row) => row.ref).sort()).toEqual(["failed-old", "pending-old", "sent-recent"]);
  });
});

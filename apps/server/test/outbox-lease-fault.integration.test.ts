import { describe, expect, it } from "vitest";
import { createFaultInjector } from "./faults";
import { newUserInput, register, startTestServer, storedCollection } from "./harness";

describe("outbox: a fault between a lease's claim and its write", () => {
  it("delivers the email once the lease has run out, exactly once", async () => {
    const faults = createFaultInjector();
    // The lease is claimed (written) but the worker sees an error before it records it.
    faults.failNext("claims.claim", "after", ([key]) => String(key).startsWith("outbox:"));
    await using server = await startTestServer({ OUTBOX_LEASE_MS: "1500" }, { faults });
    const input = newUserInput();
    expect((await register(server, input)).status).toBe(201);
    const messages = await server.inbox.waitForMessages(input.email, { count: 1, timeoutMs: 15_000 });
    expect(faults.fired()).toEqual(["claims.claim"]);
    expect(messages).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await server.inbox.messagesTo(input.email)).toHaveLength(1);
    const stored = await storedCollection(server, "outbox").find().toArray();
    expect(stored.map((m) => m.status)).toEqual(["sent"]);
  });
});

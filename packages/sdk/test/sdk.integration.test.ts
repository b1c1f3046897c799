import { startTestServer } from "@usersvc/server/testing";
import { describe, expect, it } from "vitest";
import { createUsersClient, errorCodeOf } from "../src/index";

describe("SDK skeleton", () => {
  it("calls health over tRPC with inferred types", async () => {
    await using server = await startTestServer();
    const client = createUsersClient({ url: `${server.url}/`, apiKey: server.apiKey });
    const health = await client.health.check();
    expect(health).toEqual({
      status: "ok",
      database: "up",
      outbox: { pending: 0, oldest_pending_seconds: null },
    });
  });

  it("surfaces the stable error code of a failed call", async () => {
    await using server = await startTestServer();
    const client = createUsersClient({ url: server.url, apiKey: "wrong-key-0123456789" });
    const error = await client.users.getById({ id: "63a1f1234abc5678def12345" }).catch((e: unknown) => e);
    expect(errorCodeOf(error)).toBe("INVALID_API_KEY");

    const authorized = createUsersClient({ url: server.url, apiKey: server.apiKey });
    const missing = await authorized.users
      .getById({ id: "63a1f1234abc5678def12345" })
      .catch((e: unknown) => e);
    expect(errorCodeOf(missing)).toBe("USER_NOT_FOUND");
  });
});

import { describe, expect, it } from "vitest";
import { startTestServer } from "./harness";

describe("health and liveness", () => {
  it("reports the service up after a real database ping, without an API key", async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/api/users/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ok",
      database: "up",
      outbox: { pending: 0, oldest_pending_seconds: null },
    });
  });

  it("answers liveness without touching the database", async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/api/users/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("serves the same health procedure over tRPC", async () => {
    await using server = await startTestServer();
    const response = await fetch(`${server.url}/trpc/users.health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      result: {
        data: { status: "ok", database: "up", outbox: { pending: 0, oldest_pending_seconds: null } },
      },
    });
  });
});

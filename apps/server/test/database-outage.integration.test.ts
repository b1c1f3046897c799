import { startLocalDatabase } from "@usersvc/local-stack";
import { describe, expect, it } from "vitest";
import { json, startTestServer } from "./harness";

const health = async (url: string) => {
  const started = performance.now();
  const response = await fetch(`${url}/api/users/health`);
  return { status: response.status, body: await response.json(), ms: performance.now() - started };
};

describe("database outage", () => {
  it("answers 503 quickly while the database is down and recovers by itself", async () => {
    await using db = await startLocalDatabase();
    await using server = await startTestServer({ MONGODB_URI: db.uri });
    expect((await health(server.url)).status).toBe(200);

    await db.pause();
    const down = await health(server.url);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: "unavailable", database: "down", outbox: null });
    expect(down.ms).toBeLessThan(2_500);

    // A protected route that needs the database answers a clear 503, not a hang or a 500.
    const lookup = await server.api("/api/users/id?id=63a1f1234abc5678def12345");
    expect(lookup.status).toBe(503);
    expect((await json(lookup)).code).toBe("DATABASE_UNAVAILABLE");
    expect(lookup.headers.get("retry-after")).toBe("2");

    await db.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await health(server.url)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe(200);
  });
});

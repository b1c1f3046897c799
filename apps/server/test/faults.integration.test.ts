import { startLocalDatabase } from "@usersvc/local-stack";
import { describe, expect, it } from "vitest";
import { createActiveUser, newUserInput, register, startTestServer } from "./harness";

describe("faults: the database goes away under traffic", () => {
  it("answers 503 DATABASE_UNAVAILABLE within the 1.5 s database budget (none hangs), and recovers by itself within 5 s", async () => {
    await using db = await startLocalDatabase();
    await using server = await startTestServer({ MONGODB_URI: db.uri });
    const user = await createActiveUser(server);
    const traffic = () =>
      Promise.all([
        server.api(`/api/users/id?id=${user.id}`),
        server.api(`/api/users/identifier?identifier=${user.username}`),
        register(server, newUserInput()),
        server.api("/api/users/?limit=5"),
      ]);
    const timed = async () => {
      const started = performance.now();
      const responses = await traffic();
      return {
        ms: performance.now() - started,
        statuses: responses.map((r) => r.status),
        bodies: await Promise.all(responses.map((r) => r.text())),
      };
    };
    expect((await timed()).statuses).toEqual([200, 200, 201, 200]);

    await db.pause();
    for (let round = 0; round < 3; round++) {
      const down = await timed();
      expect(down.ms).toBeLessThan(2_000 + 1_000); // the database budget (1.5 s) plus argon2 for the registration
      expect(down.statuses).toEqual([503, 503, 503, 503]);
      for (const body of down.bodies)
        expect(JSON.parse(body)).toMatchObject({ code: "DATABASE_UNAVAILABLE" });
    }

    await db.start();
    const back = Date.now();
    let statuses: number[] = [];
    while (Date.now() - back < 5_000) {
      statuses = (await timed()).statuses;
      if (statuses.every((s) => s < 300)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(statuses).toEqual([200, 200, 201, 200]);
    expect(Date.now() - back).toBeLessThan(5_000);
  });
});

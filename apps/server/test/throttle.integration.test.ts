import { createPasswordHasher } from "@usersvc/core";
import type { CommandStartedEvent } from "mongodb";
import { describe, expect, it } from "vitest";
import {
  createActiveUser,
  json,
  nextThrottleWindow,
  post,
  seedUser,
  startTestServer,
  storedCollection,
  type TestServer,
  testEnv,
  withinOneThrottleWindow,
} from "./harness";

const password = "Tulip-Kettle-Orbit-42";
const weak = createPasswordHasher({ memoryCost: 4_096, timeCost: 1, parallelism: 1 });

const check = (server: TestServer, identifier: string, guess: string, ip?: string) =>
  post(server, "/api/users/auth/check", { identifier, password: guess }, ip ? { "x-forwarded-for": ip } : {});

/**
 * A server whose driver reports every command it sends (the outbox worker stays off), in a
 * day-long throttle window with at least a minute of it left: up to 200 attempts fit in it.
 */
async function monitoredServer(overrides: Record<string, string>) {
  const uri = new URL(testEnv().MONGODB_URI ?? "");
  uri.searchParams.set("monitorCommands", "true");
  const server = await startTestServer(
    {
      MONGODB_URI: uri.toString(),
      LOGIN_LOCKOUT_SECONDS: "86400",
      LOGIN_MAX_FAILURES_PER_DAY: "1000",
      ...overrides,
    },
    { worker: false },
  );
  await withinOneThrottleWindow(server, 60);
  const seen: CommandStartedEvent[] = [];
  server.app.connection.getClient().on("commandStarted", (event) => seen.push(event));
  /** The commands (name and collection) one call sends to the database. */
  const commandsOf = async (call: () => Promise<Response>) => {
    seen.length = 0;
    const response = await call();
    const commands = seen.map((e) => `${e.commandName} ${String(e.command[e.commandName])}`);
    return { response, commands, events: [...seen] };
  };
  return { server, commandsOf };
}

/** Sends `count` wrong passwords, `batch` at a time; every one must be a 401. */
async function failMany(count: number, send: (n: number) => Promise<Response>) {
  for (let n = 0; n < count; n += 10) {
    const batch = Array.from({ length: Math.min(10, count - n) }, (_, i) => send(n + i));
    for (const response of await Promise.all(batch)) expect(response.status).toBe(401);
  }
}

// A window change at midnight UTC may make a test wait a minute.
describe("login throttle cost", { timeout: 120_000 }, () => {
  for (const limit of [5, 100]) {
    it(`refuses a locked account or identifier with 2 database operations (LOGIN_MAX_FAILURES=${limit})`, async () => {
      const { server, commandsOf } = await monitoredServer({ LOGIN_MAX_FAILURES: String(limit) });
      await using _ = server;
      const user = await seedUser(server, { password_hash: await weak.hash(password), is_active: true });
      await failMany(limit, (n) => check(server, user.username, `Wrong-${n}-password`));
      await failMany(limit, (n) => check(server, "nobody-at-all", `Wrong-${n}-password`));

      for (const identifier of [user.username, user.email, "nobody-at-all"]) {
        const { response, commands } = await commandsOf(() => check(server, identifier, password));
        expect(response.status).toBe(429);
        expect((await json(response)).code).toBe("TOO_MANY_ATTEMPTS");
        expect(commands).toEqual(["find users", "find throttle_locks"]);
      }
    });
  }

  for (const limit of [5, 100]) {
    it(`refuses a full client network with 3 operations behind a proxy (LOGIN_MAX_FAILURES_PER_IP=${limit}), per IPv6 /64`, async () => {
      const { server, commandsOf } = await monitoredServer({
        TRUST_PROXY: "true",
        LOGIN_MAX_FAILURES_PER_IP: String(limit),
      });
      await using _ = server;
      // Every guess from another address of one /64, and another identifier.
      await failMany(limit, (n) =>
        check(server, `nobody-${n}`, "Wrong-password-1", `2001:db8:5:5::${n + 1}`),
      );

      const { response, commands } = await commandsOf(() =>
        check(server, "someone-else", "Wrong-password-1", "2001:db8:5:5:ffff::1"),
      );
      expect(response.status).toBe(429);
      expect(commands).toEqual(["find users", "find throttle_locks", "find throttle_locks"]);
      expect((await check(server, "someone-else", "Wrong-password-1", "2001:db8:5:6::1")).status).toBe(401);
    });
  }

  it('writes claims and throttle locks with w: "majority", or the number CLAIMS_WRITE_CONCERN says', async () => {
    for (const [setting, w] of [
      [undefined, "majority"],
      ["1", 1],
    ] as const) {
      const { server, commandsOf } = await monitoredServer({
        LOGIN_MAX_FAILURES: "1",
        ...(setting ? { CLAIMS_WRITE_CONCERN: setting } : {}),
      });
      await using _ = server;
      const { response, events } = await commandsOf(() => check(server, "nobody", "Wrong-password-1"));
      expect(response.status).toBe(401);
      const writes = events.filter((e) => ["insert", "update"].includes(e.commandName));
      expect(writes.map((e) => `${e.commandName} ${String(e.command[e.commandName])}`)).toEqual([
        "insert claims",
        "update throttle_locks",
        "insert claims", // the day's count of failures, before the events
        "insert audit_events", // login.failed
        "insert audit_events", // login.locked
      ]);
      for (const write of writes.filter((e) => e.command.insert !== "audit_events"))
        expect(write.command.writeConcern, JSON.stringify(write.command)).toMatchObject({ w });
    }
  });
});

describe("escalating account lockout", () => {
  it("doubles the lock per consecutive lock, tells the owner at the first, and starts afresh after a success", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "3", LOGIN_LOCKOUT_SECONDS: "3600" });
    const user = await createActiveUser(server);
    const lockKey = `throttle:password:user:${user.id}`;
    const notices = async () =>
      (await server.inbox.messagesTo(user.email)).filter((m) => /paused/.test(m.subject));
    /** Three wrong passwords, then the lock's Retry-After (the right password is refused too). */
    const lockOnce = async () => {
      await withinOneThrottleWindow(server);
      for (let n = 0; n < 3; n++)
        expect((await check(server, user.username, `Wrong-${n}-password`)).status).toBe(401);
      const locked = await check(server, user.username, user.password);
      expect(locked.status).toBe(429);
      return Number(locked.headers.get("retry-after"));
    };
    /** The lock runs out (as time would have it): its end moves to the past, the window's slots go. */
    const endLock = async () => {
      await storedCollection(server, "throttle_locks").updateOne(
        { _id: lockKey as never },
        { $set: { until: new Date(Date.now() - 1_000) } },
      );
      await nextThrottleWindow(server, "password", user.id);
    };

    const first = await lockOnce();
    expect(first).toBeGreaterThan(3_595);
    expect(first).toBeLessThanOrEqual(3_600);
    const [notice] = await server.inbox.waitForMessages(user.email, { count: 2 }).then(notices);
    expect(notice?.text).toContain("wrong password 3 times");

    await endLock();
    const second = await lockOnce();
    expect(second).toBeGreaterThan(7_195);
    expect(second).toBeLessThanOrEqual(7_200);
    await endLock();
    const third = await lockOnce();
    expect(third).toBeGreaterThan(14_395);
    expect(third).toBeLessThanOrEqual(14_400);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await notices()).toHaveLength(1);

    await endLock();
    expect((await check(server, user.username, user.password)).status).toBe(200);
    expect(await storedCollection(server, "throttle_locks").findOne({ _id: lockKey as never })).toBeNull();
    const fresh = await lockOnce();
    expect(fresh).toBeLessThanOrEqual(3_600);
    await server.inbox.waitForMessages(user.email, { count: 3 });
    expect(await notices()).toHaveLength(2);
  });
});

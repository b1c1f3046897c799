import { createPasswordHasher } from "@usersvc/core";
import { describe, expect, it } from "vitest";
import {
  createActiveUser,
  json,
  newUserInput,
  post,
  register,
  startTestServer,
  storedCollection,
  storedId,
  withinOneThrottleWindow,
} from "./harness";

const check = (server: Awaited<ReturnType<typeof startTestServer>>, body: unknown, ip?: string) =>
  post(server, "/api/users/auth/check", body, ip ? { "x-forwarded-for": ip } : {});

describe("auth/check", () => {
  it("answers 200 with the user for the right password, by username or email", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    for (const identifier of [user.username, user.email.toUpperCase()]) {
      const response = await check(server, { identifier, password: user.password });
      expect(response.status).toBe(200);
      expect(await json(response)).toMatchObject({ id: user.id, is_active: true });
    }
  });

  it("answers the same 401 INVALID_CREDENTIALS for a wrong password and an unknown identifier", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const wrong = await check(server, { identifier: user.username, password: "Wrong-password-1" });
    const unknown = await check(server, { identifier: "nobody-at-all", password: "Wrong-password-1" });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const [a, b] = [await json(wrong), await json(unknown)];
    expect(a.code).toBe("INVALID_CREDENTIALS");
    expect({ ...a, request_id: "" }).toEqual({ ...b, request_id: "" });
  });

  it("reveals USER_NOT_ACTIVE only with the right password", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    await register(server, input);
    const wrong = await check(server, { identifier: input.username, password: "Wrong-password-1" });
    expect(await json(wrong)).toMatchObject({ code: "INVALID_CREDENTIALS" });
    const right = await check(server, { identifier: input.username, password: input.password });
    expect(right.status).toBe(403);
    expect(await json(right)).toMatchObject({ code: "USER_NOT_ACTIVE" });
  });

  it("locks an account after N failures with 429 + Retry-After, refusing even the right password", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "3" });
    const user = await createActiveUser(server);
    await withinOneThrottleWindow(server);
    for (let i = 0; i < 3; i++) {
      expect(
        (await check(server, { identifier: user.username, password: `Wrong-${i}-password` })).status,
      ).toBe(401);
    }
    for (const identifier of [user.username, user.email]) {
      const locked = await check(server, { identifier, password: user.password });
      expect(locked.status).toBe(429);
      expect(await json(locked)).toMatchObject({ code: "TOO_MANY_ATTEMPTS" });
      const retryAfter = Number(locked.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(900);
    }
  });

  it("admits no more than N concurrent guesses (the rest are 429 before any hashing)", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "5" });
    const user = await createActiveUser(server);
    await withinOneThrottleWindow(server);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        check(server, { identifier: user.username, password: `Guess-${i}-pass` }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it("does not check any password while locked (an unknown identifier locks the same way)", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "2" });
    await withinOneThrottleWindow(server);
    for (let i = 0; i < 2; i++) await check(server, { identifier: "ghost", password: "Wrong-password-1" });
    const locked = await check(server, { identifier: "ghost", password: "Wrong-password-1" });
    expect(locked.status).toBe(429);
  });

  it("throttles a client IP across identifiers when behind a trusted proxy", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES_PER_IP: "4", TRUST_PROXY: "true" });
    const user = await createActiveUser(server);
    await withinOneThrottleWindow(server);
    for (let i = 0; i < 4; i++) {
      await check(server, { identifier: `someone-${i}`, password: "Wrong-password-1" }, "198.51.100.7");
    }
    const blocked = await check(
      server,
      { identifier: user.username, password: user.password },
      "198.51.100.7",
    );
    expect(blocked.status).toBe(429);
    const elsewhere = await check(
      server,
      { identifier: user.username, password: user.password },
      "198.51.100.8",
    );
    expect(elsewhere.status).toBe(200);
  });

  it("clears the account's failures after a successful login", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "3" });
    const user = await createActiveUser(server);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++)
        await check(server, { identifier: user.username, password: "Wrong-password-1" });
      expect((await check(server, { identifier: user.username, password: user.password })).status).toBe(200);
    }
  });

  it("upgrades a hash made with weaker argon2 parameters on the next successful login", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const weak = createPasswordHasher({ memoryCost: 4_096, timeCost: 1, parallelism: 1 });
    const Users = storedCollection(server, "users");
    await Users.updateOne(
      { _id: storedId(user.id) },
      { $set: { password_hash: await weak.hash(user.password) } },
    );
    expect((await check(server, { identifier: user.username, password: user.password })).status).toBe(200);
    const stored = await Users.findOne({ _id: storedId(user.id) });
    expect(stored?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await check(server, { identifier: user.username, password: user.password })).status).toBe(200);
  });

  it("asks for the second factor when the user has MFA on", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await storedCollection(server, "users").updateOne(
      { _id: storedId(user.id) },
      { $set: { mfa_enabled: true } },
    );
    const response = await check(server, { identifier: user.username, password: user.password });
    expect(response.status).toBe(401);
    expect(await json(response)).toMatchObject({ code: "MFA_REQUIRED" });
  });

  it("refuses passwords longer than 128 characters without hashing them", async () => {
    await using server = await startTestServer();
    const response = await check(server, { identifier: "someone", password: "x".repeat(10_000) });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: "VALIDATION_ERROR" });
  });
});

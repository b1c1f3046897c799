import { describe, expect, it } from "vitest";
import {
  createActiveUser,
  json,
  newUserInput,
  post,
  register,
  startTestServer,
  storedCollection,
} from "./harness";

describe("input abuse: each gets a documented 4xx and changes nothing", () => {
  it("refuses operator injection in bodies and query strings", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const attempts = [
      post(server, "/api/users/auth/check", { identifier: { $ne: null }, password: { $gt: "" } }),
      post(server, "/api/users/password/forgot", { identifier: { $regex: ".*" } }),
      post(server, "/api/users/password/reset", {
        token: { $ne: "x" },
        password: "Whatever-pass-1",
        password_confirmation: "Whatever-pass-1",
      }),
      server.api("/api/users/identifier?identifier[$ne]=x"),
      server.api(`/api/users/id?id[$ne]=${user.id}`, { method: "DELETE" }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(400);
      expect(await json(response)).toMatchObject({ code: "VALIDATION_ERROR" });
    }
    expect(await storedCollection(server, "users").countDocuments()).toBe(1);
  });

  it("refuses deeply nested JSON", async () => {
    await using server = await startTestServer();
    const nested = `${'{"a":'.repeat(2_000)}1${"}".repeat(2_000)}`;
    const response = await server.api("/api/users/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"username":${nested}}`,
    });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it("refuses unicode look-alikes in usernames and malformed emails, accepts plain unicode names", async () => {
    await using server = await startTestServer();
    for (const overrides of [
      { username: "jоhn" }, // Cyrillic о
      { username: "john\u200Bdoe" }, // zero-width space
      { username: "ｊｏｈｎ" }, // full-width
      { email: "jöhn@exämple" },
      { email: "john@example..com" },
      { email: "a@b" },
      { first_name: "Bad\u0007Bell" },
    ]) {
      const response = await register(server, newUserInput(overrides));
      expect(response.status, JSON.stringify(overrides)).toBe(400);
    }
    const ok = await register(server, newUserInput({ first_name: "Zoë", last_name: "Ørsted-Łukasz 李" }));
    expect(ok.status).toBe(201);
    expect(await json(ok)).toMatchObject({ first_name: "Zoë", last_name: "Ørsted-Łukasz 李" });
    expect(await storedCollection(server, "users").countDocuments()).toBe(1);
  });

  it("never feeds argon2 a huge password: 413 over the body limit, 400 over 128 characters", async () => {
    await using server = await startTestServer();
    const huge = await post(server, "/api/users/auth/check", {
      identifier: "x",
      password: "p".repeat(1_000_000),
    });
    expect(huge.status).toBe(413);
    const long = await post(server, "/api/users/auth/check", { identifier: "x", password: "p".repeat(129) });
    expect(long.status).toBe(400);
  });
});

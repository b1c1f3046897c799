import { describe, expect, it } from "vitest";
import { json, newUserInput, register, startTestServer } from "./harness";

type ErrorBody = { code: string; message: string; issues?: { path: string; message: string }[] };

describe("users: registration validation", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["username too short", { username: "ab" }, "username", /at least 3/],
    ["username too long", { username: "a".repeat(33) }, "username", /at most 32/],
    ["username with other characters", { username: "john doe" }, "username", /letters, digits/],
    ["username with an @", { username: "john@doe" }, "username", /letters, digits/],
    ["invalid email", { email: "not-an-email" }, "email", /valid email/],
    ["overlong email", { email: `${"a".repeat(250)}@example.com` }, "email", /at most 254/],
    ["empty first name", { first_name: "  " }, "first_name", /must not be empty/],
    ["overlong last name", { last_name: "x".repeat(65) }, "last_name", /at most 64/],
    ["control characters in a name", { first_name: "Jo\u0000hn" }, "first_name", /control characters/],
    ["unknown gender", { gender: "Robot" }, "gender", /./],
    ["unknown role", { role: "root" }, "role", /./],
    ["short password", { password: "short", password_confirmation: "short" }, "password", /at least 8/],
    [
      "overlong password",
      { password: "p".repeat(129), password_confirmation: "p".repeat(129) },
      "password",
      /at most 128/,
    ],
    ["confirmation mismatch", { password_confirmation: "Password2!" }, "password_confirmation", /must match/],
    ["unknown key", { is_active: true }, "", /is_active/],
  ];

  for (const [name, overrides, path, message] of cases) {
    it(`rejects ${name} with 400 VALIDATION_ERROR naming ${path || "the key"}`, async () => {
      await using server = await startTestServer();
      const response = await register(server, newUserInput(overrides));
      expect(response.status).toBe(400);
      const body = await json<ErrorBody>(response);
      expect(body.code).toBe("VALIDATION_ERROR");
      const issue = body.issues?.find((i) => i.path === path);
      expect(issue, JSON.stringify(body.issues)).toBeDefined();
      expect(issue?.message).toMatch(message);
    });
  }

  it("rejects a password equal to the username or the email, ignoring case", async () => {
    await using server = await startTestServer();
    for (const field of ["username", "email"] as const) {
      const input = newUserInput();
      const password = input[field].toUpperCase();
      const response = await register(server, { ...input, password, password_confirmation: password });
      expect(response.status, field).toBe(400);
      const body = await json<ErrorBody>(response);
      expect(body.issues).toContainEqual({
        path: "password",
        message: "must not be the username or the email",
      });
    }
  });

  it("lists every problem at once, including missing fields", async () => {
    await using server = await startTestServer();
    const response = await register(server, { username: "ab", email: "nope" });
    const body = await json<ErrorBody>(response);
    const paths = body.issues?.map((i) => i.path) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining(["username", "email", "first_name", "last_name", "password", "gender"]),
    );
  });

  it("answers 415 for a body that is not JSON and 400 for a non-object body", async () => {
    await using server = await startTestServer();
    const form = await server.api("/api/users/", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "username=x",
    });
    expect(form.status).toBe(415);
    expect(await json(form)).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });
    const array = await register(server, [1, 2, 3]);
    expect(array.status).toBe(400);
    expect(await json(array)).toMatchObject({ code: "VALIDATION_ERROR" });
  });

  it("does not let operator objects through as identifiers", async () => {
    await using server = await startTestServer();
    const response = await server.api("/api/users/activation", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identifier: { $ne: null }, code: "123456" }),
    });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: "VALIDATION_ERROR" });
  });
});

describe("users: uniqueness", () => {
  it("answers 409 USERNAME_TAKEN and EMAIL_TAKEN, case-insensitively", async () => {
    await using server = await startTestServer();
    const first = newUserInput({ username: "Taken.Name", email: "taken@example.com" });
    expect((await register(server, first)).status).toBe(201);

    const sameName = await register(server, newUserInput({ username: "TAKEN.name" }));
    expect(sameName.status).toBe(409);
    expect(await json(sameName)).toMatchObject({ code: "USERNAME_TAKEN" });

    const sameEmail = await register(server, newUserInput({ email: "  Taken@EXAMPLE.com " }));
    expect(sameEmail.status).toBe(409);
    expect(await json(sameEmail)).toMatchObject({ code: "EMAIL_TAKEN" });
  });

  it("lets exactly one of 20 concurrent registrations of one username win", async () => {
    await using server = await startTestServer();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => register(server, newUserInput({ username: "racer" }))),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(await json(response)).toMatchObject({ code: "USERNAME_TAKEN" });
    }
  });
});

describe("users: lookups", () => {
  it("answers 400 for a malformed id and 404 for an unknown one", async () => {
    await using server = await startTestServer();
    expect((await server.api("/api/users/id?id=123")).status).toBe(400);
    expect((await server.api("/api/users/id?id=63a1f1234abc5678def12345")).status).toBe(404);
    expect((await server.api("/api/users/id?id=63a1f1234abc5678def12345", { method: "DELETE" })).status).toBe(
      404,
    );
    expect((await server.api("/api/users/identifier?identifier=")).status).toBe(400);
    expect((await server.api("/api/users/identifier?identifier=nobody")).status).toBe(404);
  });
});

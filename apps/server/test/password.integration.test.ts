import { describe, expect, it } from "vitest";
import {
  createActiveUser,
  json,
  nextThrottleWindow,
  post,
  startTestServer,
  type TestServer,
  withinOneThrottleWindow,
} from "./harness";

const forgot = (server: TestServer, identifier: string) =>
  post(server, "/api/users/password/forgot", { identifier });
const reset = (server: TestServer, token: string, password: string) =>
  post(server, "/api/users/password/reset", { token, password, password_confirmation: password });
const login = (server: TestServer, identifier: string, password: string) =>
  post(server, "/api/users/auth/check", { identifier, password });

/** The token from the `count`-th reset email to `email`. */
async function resetToken(server: TestServer, email: string, count = 1): Promise<string> {
  const messages = await server.inbox.waitForMessages(email, { count: count + 1 }); // + activation email
  const link = /(http\S+reset-password\S*)/.exec(messages[messages.length - 1]?.text ?? "")?.[1] ?? "";
  const token = new URL(link).searchParams.get("token");
  if (!token) throw new Error("no token in the reset email");
  return token;
}

describe("password: forgot and reset", () => {
  it("answers byte-identically for an existing and a missing account", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const existing = await forgot(server, user.email);
    const missing = await forgot(server, "missing@example.com");
    expect(existing.status).toBe(200);
    expect(missing.status).toBe(200);
    const [a, b] = [await existing.text(), await missing.text()];
    expect(a).toBe(b);
    expect(JSON.parse(a)).toEqual({ message: "If the email exists, a reset link has been sent." });
    expect(existing.headers.get("content-length")).toBe(missing.headers.get("content-length"));
  });

  it("emails a link whose token resets the password once, then sends a notice", async () => {
    await using server = await startTestServer({
      RESET_PASSWORD_URL: "https://app.example.com/reset-password",
    });
    const user = await createActiveUser(server);
    await forgot(server, user.email);
    const token = await resetToken(server, user.email);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url

    const done = await reset(server, token, "Brand-new-pass-1");
    expect(done.status).toBe(200);
    expect(await json(done)).toEqual({ message: "Your password has been reset." });
    expect((await login(server, user.username, user.password)).status).toBe(401);
    expect((await login(server, user.username, "Brand-new-pass-1")).status).toBe(200);

    const again = await reset(server, token, "Another-pass-22");
    expect(again.status).toBe(400);
    expect(await json(again)).toMatchObject({ code: "INVALID_OR_EXPIRED_TOKEN" });

    const messages = await server.inbox.waitForMessages(user.email, { count: 3 });
    expect(messages.map((m) => m.subject)).toContain("Your password was changed");
  });

  it("refuses unknown and expired tokens with the same 400", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await forgot(server, user.username);
    const token = await resetToken(server, user.email);
    const unknown = await reset(server, "A".repeat(43), "Brand-new-pass-1");
    expect(unknown.status).toBe(400);
    expect(await json(unknown)).toMatchObject({ code: "INVALID_OR_EXPIRED_TOKEN" });

    await server.app.connection.db
      ?.collection("password_resets")
      .updateMany({}, { $set: { expires_at: new Date(Date.now() - 1_000) } });
    const expired = await reset(server, token, "Brand-new-pass-1");
    expect(expired.status).toBe(400);
    expect(await json(expired)).toMatchObject({ code: "INVALID_OR_EXPIRED_TOKEN" });
  });

  it("lets exactly one of 10 concurrent resets with one token succeed", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await forgot(server, user.email);
    const token = await resetToken(server, user.email);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => reset(server, token, `Concurrent-pass-${i}`)),
    );
    const ok = responses.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(responses.filter((r) => r.status === 400)).toHaveLength(9);
  });

  it("ends the other outstanding tokens and the login lockout on reset", async () => {
    await using server = await startTestServer({
      RESET_PASSWORD_COOLDOWN_SECONDS: "0",
      LOGIN_MAX_FAILURES: "2",
    });
    const user = await createActiveUser(server);
    await forgot(server, user.email);
    const first = await resetToken(server, user.email, 1);
    await forgot(server, user.email);
    const second = await resetToken(server, user.email, 2);
    await withinOneThrottleWindow(server);
    for (let i = 0; i < 2; i++) await login(server, user.username, "Wrong-password-1");
    expect((await login(server, user.username, user.password)).status).toBe(429);

    expect((await reset(server, second, "Brand-new-pass-1")).status).toBe(200);
    expect((await reset(server, first, "Brand-new-pass-2")).status).toBe(400);
    expect((await login(server, user.username, "Brand-new-pass-1")).status).toBe(200);
  });

  it("sends at most one reset email per cooldown", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    for (let i = 0; i < 3; i++) await forgot(server, user.email);
    await resetToken(server, user.email, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await server.inbox.messagesTo(user.email)).toHaveLength(2); // activation + one reset
  });

  it("applies the password policy to the new password", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await forgot(server, user.email);
    const token = await resetToken(server, user.email);
    const short = await reset(server, token, "short");
    expect(short.status).toBe(400);
    expect(await json(short)).toMatchObject({ code: "VALIDATION_ERROR" });
    const same = await reset(server, token, user.username);
    expect(await json(same)).toMatchObject({
      code: "VALIDATION_ERROR",
      issues: [{ path: "password", message: "must not be the username or the email" }],
    });
    expect((await reset(server, token, "Good-new-pass-1")).status).toBe(200);
  });
});

describe("password: change", () => {
  it("changes the password given the current one, and sends a notice", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const body = {
      id: user.id,
      current_password: user.password,
      password: "Changed-pass-1",
      password_confirmation: "Changed-pass-1",
    };
    const response = await post(server, "/api/users/password/change", body);
    expect(response.status).toBe(200);
    expect((await login(server, user.username, "Changed-pass-1")).status).toBe(200);
    const messages = await server.inbox.waitForMessages(user.email, { count: 2 });
    expect(messages[1]?.subject).toBe("Your password was changed");
  });

  it("counts a wrong current password as a failed login", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "2" });
    const user = await createActiveUser(server);
    await withinOneThrottleWindow(server);
    const body = {
      id: user.id,
      current_password: "Wrong-password-1",
      password: "Changed-pass-1",
      password_confirmation: "Changed-pass-1",
    };
    const first = await post(server, "/api/users/password/change", body);
    expect(first.status).toBe(401);
    expect(await json(first)).toMatchObject({ code: "INVALID_CREDENTIALS" });
    await post(server, "/api/users/password/change", body);
    expect((await login(server, user.username, user.password)).status).toBe(429);
  });

  it("answers 404 for an unknown user and 400 for a mismatched confirmation", async () => {
    await using server = await startTestServer();
    const body = {
      id: "63a1f1234abc5678def12345",
      current_password: "x",
      password: "Changed-pass-1",
      password_confirmation: "Changed-pass-1",
    };
    expect((await post(server, "/api/users/password/change", body)).status).toBe(404);
    const mismatch = await post(server, "/api/users/password/change", {
      ...body,
      password_confirmation: "nope-nope-1",
    });
    expect(mismatch.status).toBe(400);
  });
});

describe("login: the day's bound on wrong passwords", () => {
  // Up to 20 s may go to waiting for a UTC day with room left.
  it("stops a guesser who paces below the window's limit: locked to midnight UTC, the owner told, a reset lifts it", {
    timeout: 60_000,
  }, async () => {
    await using server = await startTestServer({
      LOGIN_MAX_FAILURES: "3",
      LOGIN_MAX_FAILURES_PER_DAY: "4",
      RESET_PASSWORD_COOLDOWN_SECONDS: "0",
    });
    await withinOneThrottleWindow({ windowSeconds: 86_400 }, 20);
    const user = await createActiveUser(server);
    const nextWindow = () => nextThrottleWindow(server, "password", user.id);
    for (let n = 0; n < 4; n++) {
      if (n === 2) await nextWindow();
      expect((await login(server, user.username, `Wrong-${n}-password`)).status).toBe(401);
    }
    const locked = await login(server, user.username, user.password);
    expect(locked.status).toBe(429);
    expect(await json(locked)).toMatchObject({ code: "TOO_MANY_ATTEMPTS" });
    const untilMidnight = (Date.UTC(...utcDateParts(new Date()), 24) - Date.now()) / 1_000;
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(untilMidnight - 10);
    expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(untilMidnight + 1);
    await nextWindow();
    expect((await login(server, user.username, user.password)).status).toBe(429);

    const [, notice] = await server.inbox.waitForMessages(user.email, { count: 2 });
    expect(notice?.subject).toMatch(/paused/);
    expect(notice?.text).toContain("wrong password 4 times");

    await forgot(server, user.email);
    const token = await resetToken(server, user.email, 2);
    expect((await reset(server, token, "Brand-new-pass-1")).status).toBe(200);
    // The day's count went with the reset: a wrong password now does not lock again.
    expect((await login(server, user.username, "Wrong-again-password")).status).toBe(401);
    expect((await login(server, user.username, "Brand-new-pass-1")).status).toBe(200);
  });
});

/** Year, month and day of `at` in UTC. */
function utcDateParts(at: Date): [number, number, number] {
  return [at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()];
}

import { describe, expect, it } from "vitest";
import {
  codeAt,
  createActiveUser,
  enableMfa,
  json,
  newUserInput,
  post,
  publicUserKeys,
  register,
  startTestServer,
  storedCollection,
  storedId,
  type TestServer,
  withinOneThrottleWindow,
} from "./harness";

const requestCode = (server: TestServer, identifier: string, ip?: string) =>
  post(server, "/api/users/auth/code/request", { identifier }, ip ? { "x-forwarded-for": ip } : {});
const verify = (server: TestServer, body: Record<string, unknown>, ip?: string) =>
  post(server, "/api/users/auth/code/verify", body, ip ? { "x-forwarded-for": ip } : {});

/** The code and the link's token of the `count`-th login-code email to `email` (other emails may come between). */
async function loginCodeEmail(server: TestServer, email: string, count = 1) {
  const signInEmails = async () =>
    (await server.inbox.messagesTo(email)).filter((m) => m.subject.startsWith("Your sign-in code"));
  const deadline = Date.now() + 10_000;
  while ((await signInEmails()).length < count && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const message = (await signInEmails())[count - 1];
  const code = /sign-in code is (\d{6})/.exec(message?.text ?? "")?.[1];
  const link = /(https?:\/\/\S*login-code\S*)/.exec(message?.text ?? "")?.[1];
  const token = link ? new URL(link).searchParams.get("token") : null;
  if (!message || !code || !token) throw new Error(`no login code email #${count} to ${email}`);
  return { code, token, link: link ?? "", message };
}

const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("login codes: request and sign-in", () => {
  it("emails a code that signs in once, answering the user like auth/check", async () => {
    await using server = await startTestServer({ LOGIN_CODE_URL: "https://app.example.com/login-code" });
    const user = await createActiveUser(server);
    const requested = await requestCode(server, user.email);
    expect(requested.status).toBe(200);
    expect(await json(requested)).toEqual({
      message: "If an active account has this identifier, a sign-in code has been sent to its email address.",
    });
    const { code, link, message } = await loginCodeEmail(server, user.email);
    expect(message.subject).toBe(`Your sign-in code: ${code}`);
    expect(link).toMatch(/^https:\/\/app\.example\.com\/login-code\?token=/);

    const signedIn = await verify(server, { identifier: user.username, code });
    expect(signedIn.status).toBe(200);
    const body = await json(signedIn);
    expect(Object.keys(body).sort()).toEqual(publicUserKeys);
    expect(body).toMatchObject({ id: user.id, username: user.username, is_active: true });

    const again = await verify(server, { identifier: user.username, code });
    expect(again.status).toBe(401);
    expect(await json(again)).toMatchObject({ code: "INVALID_LOGIN_CODE" });
  });

  it("emails a one-click link that signs in once; the code of that email is spent with it", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await requestCode(server, user.username);
    const { code, token } = await loginCodeEmail(server, user.email);
    const first = await verify(server, { token });
    expect(first.status).toBe(200);
    expect(await json(first)).toMatchObject({ id: user.id });
    const replayed = await verify(server, { token });
    expect(replayed.status).toBe(401);
    expect(await json(replayed)).toMatchObject({ code: "INVALID_LOGIN_CODE" });
    expect((await verify(server, { identifier: user.email, code })).status).toBe(401);
  });

  it("answers unknown and inactive identifiers byte for byte as it answers an active account, emailing only that one", async () => {
    await using server = await startTestServer();
    const active = await createActiveUser(server);
    const pending = newUserInput();
    expect((await register(server, pending)).status).toBe(201);
    const answers = [
      await requestCode(server, "nobody@example.com"),
      await requestCode(server, pending.email),
      await requestCode(server, active.email),
    ];
    const texts = await Promise.all(answers.map((a) => a.text()));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(new Set(texts).size).toBe(1);
    expect(new Set(answers.map((a) => a.headers.get("content-length"))).size).toBe(1);
    await loginCodeEmail(server, active.email);
    // The pending account's email was decided before the active one's was sent: only its activation email.
    const toPending = await server.inbox.messagesTo(pending.email);
    expect(toPending.map((m) => m.subject)).toEqual([expect.stringMatching(/activation code/)]);
    // An unknown identifier's verify answers as a wrong code does.
    const unknown = await verify(server, { identifier: "nobody@example.com", code: "123456" });
    expect(unknown.status).toBe(401);
    expect(await json(unknown)).toMatchObject({ code: "INVALID_LOGIN_CODE" });
  });

  it("still asks MFA users for their second factor, after the right code, which stays usable until then", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const { secret } = await enableMfa(server, user);

    await requestCode(server, user.email);
    const { code, token } = await loginCodeEmail(server, user.email);
    const wrongCode = await verify(server, { identifier: user.email, code: otherCode(code) });
    expect(await json(wrongCode)).toMatchObject({ code: "INVALID_LOGIN_CODE" }); // MFA is not revealed before
    const missing = await verify(server, { identifier: user.email, code });
    expect(missing.status).toBe(401);
    expect(await json(missing)).toMatchObject({ code: "MFA_REQUIRED" });
    const byLink = await verify(server, { token });
    expect(await json(byLink)).toMatchObject({ code: "MFA_REQUIRED" });
    const wrongTotp = await verify(server, { token, totp_code: otherCode(await codeAt(secret, 0)) });
    expect(await json(wrongTotp)).toMatchObject({ code: "INVALID_MFA_CODE" });
    const passed = await verify(server, { identifier: user.email, code, totp_code: await codeAt(secret, 0) });
    expect(passed.status).toBe(200);
    expect(await json(passed)).toMatchObject({ id: user.id, mfa_enabled: true });
  });

  it("sends a code to an account stored before login codes existed (no login_code field)", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await storedCollection(server, "users").updateOne(
      { _id: storedId(user.id) },
      { $unset: { login_code: "" } },
    );
    await requestCode(server, user.email);
    const { code } = await loginCodeEmail(server, user.email);
    expect((await verify(server, { identifier: user.email, code })).status).toBe(200);
  });

  it("sends a new code only after the cooldown; the new code replaces the old one", async () => {
    await using server = await startTestServer({ LOGIN_CODE_RESEND_COOLDOWN_SECONDS: "0" });
    const user = await createActiveUser(server);
    await requestCode(server, user.email);
    const first = await loginCodeEmail(server, user.email, 1);
    await requestCode(server, user.email);
    const second = await loginCodeEmail(server, user.email, 2);
    expect((await verify(server, { token: first.token })).status).toBe(401);
    expect((await verify(server, { identifier: user.email, code: second.code })).status).toBe(200);
  });

  it("leaves the account's other codes and links alone (a pending reset link still works)", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    await post(server, "/api/users/password/forgot", { identifier: user.email });
    const [, resetEmail] = await server.inbox.waitForMessages(user.email, { count: 2 });
    const resetToken = new URL(
      /(http\S+reset-password\S*)/.exec(resetEmail?.text ?? "")?.[1] ?? "",
    ).searchParams.get("token");
    await requestCode(server, user.email);
    const { code } = await loginCodeEmail(server, user.email);
    expect((await verify(server, { identifier: user.email, code })).status).toBe(200);
    const reset = await post(server, "/api/users/password/reset", {
      token: resetToken,
      password: "Lantern-Pebble-Fjord-9",
      password_confirmation: "Lantern-Pebble-Fjord-9",
    });
    expect(reset.status).toBe(200);
  });
});

describe("login codes: limits", () => {
  // Up to 20 s may go to waiting for a UTC day with room left.
  it("bounds wrong codes per account a day (unknown identifiers alike); the link still signs the owner in", {
    timeout: 60_000,
  }, async () => {
    await using server = await startTestServer();
    await withinOneThrottleWindow({ windowSeconds: 86_400 }, 20); // the day is a fixed UTC window
    const user = await createActiveUser(server);
    await requestCode(server, user.email);
    const { code, token } = await loginCodeEmail(server, user.email);
    for (const identifier of [user.email, "ghost@example.com"]) {
      for (let i = 0; i < 20; i++) {
        const wrong = await verify(server, { identifier, code: otherCode(String(Number(code) + i)) });
        expect(wrong.status).toBe(401);
      }
      const limited = await verify(server, { identifier, code });
      expect(limited.status).toBe(429);
      expect(await json(limited)).toMatchObject({ code: "TOO_MANY_ATTEMPTS" });
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect((await verify(server, { token })).status).toBe(200);
  });

  it("throttles requests and failed sign-ins per client network behind a trusted proxy", async () => {
    await using server = await startTestServer({ TRUST_PROXY: "true", LOGIN_MAX_FAILURES_PER_IP: "3" });
    await withinOneThrottleWindow(server);
    for (let i = 0; i < 3; i++)
      expect((await requestCode(server, `x${i}@example.com`, "203.0.113.5")).status).toBe(200);
    const refused = await requestCode(server, "x@example.com", "203.0.113.5");
    expect(refused.status).toBe(429);
    expect(await json(refused)).toMatchObject({ code: "TOO_MANY_ATTEMPTS" });
    expect((await requestCode(server, "x@example.com", "198.51.100.9")).status).toBe(200);

    for (let i = 0; i < 3; i++)
      expect(
        (await verify(server, { identifier: `y${i}@example.com`, code: "123456" }, "203.0.113.6")).status,
      ).toBe(401);
    expect(
      (await verify(server, { identifier: "y@example.com", code: "123456" }, "203.0.113.6")).status,
    ).toBe(429);
    expect(
      (await verify(server, { identifier: "y@example.com", code: "123456" }, "198.51.100.10")).status,
    ).toBe(401);
  });

  it("answers 404 LOGIN_CODES_DISABLED on both routes when switched off", async () => {
    await using server = await startTestServer({ LOGIN_CODES_ENABLED: "false" });
    for (const response of [
      await requestCode(server, "john@example.com"),
      await verify(server, { identifier: "john@example.com", code: "123456" }),
    ]) {
      expect(response.status).toBe(404);
      expect(await json(response)).toMatchObject({ code: "LOGIN_CODES_DISABLED" });
    }
  });

  it("refuses a body with both ways, or neither, with a 400 that says which fields to send", async () => {
    await using server = await startTestServer();
    const both = await verify(server, { identifier: "john", code: "123456", token: "abc" });
    expect(both.status).toBe(400);
    expect(await json(both)).toMatchObject({ code: "VALIDATION_ERROR" });
    const neither = await verify(server, {});
    expect(neither.status).toBe(400);
    expect(JSON.stringify(await json(neither))).toMatch(/or send token alone/);
  });
});

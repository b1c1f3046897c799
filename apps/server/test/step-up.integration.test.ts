import { describe, expect, it } from "vitest";
import {
  changeEmail,
  codeAt,
  createActiveUser,
  enableMfa,
  json,
  patch,
  post,
  startTestServer,
  storedCollection,
  storedId,
  type TestServer,
  withinOneThrottleWindow,
} from "./harness";

/** The `token` of the first link in the last of `count` emails to `address`. */
async function linkToken(server: TestServer, address: string, count: number): Promise<string> {
  const messages = await server.inbox.waitForMessages(address, { count });
  const link = /(https?:\/\/\S+)/.exec(messages[count - 1]?.text ?? "")?.[1];
  const token = link ? new URL(link).searchParams.get("token") : null;
  if (!token) throw new Error(`no link in email ${count} to ${address}`);
  return token;
}

/** Turns MFA on for a new active user (mail: activation, then the MFA notice). */
async function userWithMfa(server: TestServer) {
  const user = await createActiveUser(server);
  return { user, ...(await enableMfa(server, user)) };
}

describe("step-up: sensitive changes need the current password", () => {
  it("email/change: 400 without current_password, 401 with a wrong one, MFA_REQUIRED with MFA on, then 200", async () => {
    await using server = await startTestServer();
    const { user, secret } = await userWithMfa(server);
    const newEmail = `moved.${user.username}@example.org`;
    const without = await post(server, "/api/users/email/change", { id: user.id, new_email: newEmail });
    expect(without.status).toBe(400);
    expect(await json(without)).toMatchObject({
      code: "VALIDATION_ERROR",
      issues: [{ path: "current_password" }],
    });
    const wrong = await post(server, "/api/users/email/change", {
      id: user.id,
      new_email: newEmail,
      current_password: "Not-the-password-1",
    });
    expect(wrong.status).toBe(401);
    expect(await json(wrong)).toMatchObject({ code: "INVALID_CREDENTIALS" });
    const noCode = await post(server, "/api/users/email/change", {
      id: user.id,
      new_email: newEmail,
      current_password: user.password,
    });
    expect(noCode.status).toBe(401);
    expect(await json(noCode)).toMatchObject({ code: "MFA_REQUIRED" });
    const ok = await post(server, "/api/users/email/change", {
      id: user.id,
      new_email: newEmail,
      current_password: user.password,
      totp_code: await codeAt(secret, 0),
    });
    expect(ok.status).toBe(200);
    expect(await server.inbox.waitForMessages(newEmail)).toHaveLength(1);
  });

  it("counts a wrong current password as a failed login (the account locks for auth/check too)", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "3" });
    const user = await createActiveUser(server);
    await withinOneThrottleWindow(server);
    for (let i = 0; i < 3; i++) {
      const response = await patch(server, "/api/users/mfa/enable", {
        id: user.id,
        current_password: "Nope-nope-1",
      });
      expect(response.status).toBe(401);
    }
    const login = await post(server, "/api/users/auth/check", {
      identifier: user.username,
      password: user.password,
    });
    expect(login.status).toBe(429);
    expect(await json(login)).toMatchObject({ code: "TOO_MANY_ATTEMPTS" });
  });

  it("mfa/enable and mfa/disable: refused without or with a wrong password (recovery code too), accepted with it; notices arrive", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    expect((await patch(server, "/api/users/mfa/enable", { id: user.id })).status).toBe(400);
    expect(
      (await patch(server, "/api/users/mfa/enable", { id: user.id, current_password: "Wrong-pass-1" }))
        .status,
    ).toBe(401);
    const enabled = await patch(server, "/api/users/mfa/enable", {
      id: user.id,
      current_password: user.password,
    });
    const { secret } = await json<{ secret: string }>(enabled);
    const confirmed = await patch(server, "/api/users/mfa/confirm", {
      id: user.id,
      code: await codeAt(secret, -30),
    });
    const { recovery_codes } = await json<{ recovery_codes: string[] }>(confirmed);
    const [, on] = await server.inbox.waitForMessages(user.email, { count: 2 });
    expect(on?.subject).toBe("Two-factor authentication was turned on");
    expect(on?.text).toContain("recovery codes");

    const recovery = recovery_codes[0] ?? "";
    const noPassword = await patch(server, "/api/users/mfa/disable", { id: user.id, code: recovery });
    expect(noPassword.status).toBe(400);
    const wrongPassword = await patch(server, "/api/users/mfa/disable", {
      id: user.id,
      code: recovery,
      current_password: "Wrong-pass-1",
    });
    expect(wrongPassword.status).toBe(401);
    expect(await json(wrongPassword)).toMatchObject({ code: "INVALID_CREDENTIALS" });
    const disabled = await patch(server, "/api/users/mfa/disable", {
      id: user.id,
      code: recovery,
      current_password: user.password,
    });
    expect(disabled.status).toBe(200);
    expect(await json(disabled)).toMatchObject({ mfa_enabled: false });
    const [, , off] = await server.inbox.waitForMessages(user.email, { count: 3 });
    expect(off?.subject).toBe("Two-factor authentication was turned off");
  });
});

describe("step-up: reverting an email change", () => {
  it("restores the old address with the notice's link and locks the password until a reset", async () => {
    await using server = await startTestServer({ RESET_PASSWORD_COOLDOWN_SECONDS: "0" });
    const user = await createActiveUser(server);
    const newEmail = `taken.${user.username}@example.org`;
    await changeEmail(server, user, newEmail);
    // A reset link requested by whoever holds the new address now.
    await post(server, "/api/users/password/forgot", { identifier: newEmail });
    const stolenReset = await linkToken(server, newEmail, 2);

    const token = await linkToken(server, user.email, 2); // activation, then the notice
    const reverted = await post(server, "/api/users/email/revert", { token });
    expect(reverted.status).toBe(200);
    expect(await json(reverted)).toMatchObject({ id: user.id, email: user.email });
    expect((await post(server, "/api/users/email/revert", { token })).status).toBe(400);

    // The reset link sent to the other address is dead; the password is locked after a right password only.
    const reset = await post(server, "/api/users/password/reset", {
      token: stolenReset,
      password: "Taken-over-pass-1",
      password_confirmation: "Taken-over-pass-1",
    });
    expect(await json(reset)).toMatchObject({ code: "INVALID_OR_EXPIRED_TOKEN" });
    const wrong = await post(server, "/api/users/auth/check", {
      identifier: user.email,
      password: "Wrong-pass-1",
    });
    expect(wrong.status).toBe(401);
    const locked = await post(server, "/api/users/auth/check", {
      identifier: user.email,
      password: user.password,
    });
    expect(locked.status).toBe(403);
    expect(await json(locked)).toMatchObject({ code: "PASSWORD_RESET_REQUIRED" });
    const change = await post(server, "/api/users/password/change", {
      id: user.id,
      current_password: user.password,
      password: "Brand-new-pass-1",
      password_confirmation: "Brand-new-pass-1",
    });
    expect(await json(change)).toMatchObject({ code: "PASSWORD_RESET_REQUIRED" });

    // A reset through the restored address unlocks it.
    await post(server, "/api/users/password/forgot", { identifier: user.email });
    const resetToken = await linkToken(server, user.email, 3);
    const done = await post(server, "/api/users/password/reset", {
      token: resetToken,
      password: "Brand-new-pass-1",
      password_confirmation: "Brand-new-pass-1",
    });
    expect(done.status).toBe(200);
    expect(
      (await post(server, "/api/users/auth/check", { identifier: user.email, password: "Brand-new-pass-1" }))
        .status,
    ).toBe(200);
    const stored = await storedCollection(server, "users").findOne({ _id: storedId(user.id) });
    expect(stored).toMatchObject({ password_locked: false, email_reverts: [] });
  });
});

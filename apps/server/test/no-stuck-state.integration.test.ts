/**
 * A fault between each exactly-once decision (a claim) and the write it guards, injected in
 * the ports: a write that fails ("before": nothing stored) answers 503 and the next try
 * completes the flow; a write that lands but errors ("after": the connection dropped before
 * the answer) is read back, so the flow completes at once and its email is not lost.
 */
import { describe, expect, it } from "vitest";
import { createFaultInjector, type FaultInjector } from "./faults";
import {
  activate,
  activationCode,
  codeAt,
  createActiveUser,
  json,
  newUserInput,
  patch,
  post,
  register,
  startTestServer,
  storedCollection,
  storedId,
  type TestServer,
} from "./harness";

/** The 6-digit code in the `count`-th email to `address` that says "<what> code is". */
async function codeIn(server: TestServer, address: string, count: number, what: string) {
  const messages = await server.inbox.waitForMessages(address, { count });
  const code = new RegExp(`${what} code is (\\d{6})`).exec(messages[count - 1]?.text ?? "")?.[1];
  if (!code) throw new Error(`no ${what} code in email ${count} to ${address}`);
  return code;
}

async function serverWith(faults: FaultInjector) {
  return startTestServer({ RESET_PASSWORD_URL: "https://app.example.com/reset-password" }, { faults });
}

const modes = ["before", "after"] as const;

describe("no stuck state: a fault between a claim and its write", () => {
  it.each(modes)(
    "registration (insert fails %s writing): the user can register and activate",
    async (mode) => {
      const faults = createFaultInjector();
      await using server = await serverWith(faults);
      const input = newUserInput();
      faults.failNext("users.insert", mode);
      const first = await register(server, input);
      expect(faults.fired()).toEqual(["users.insert"]);
      if (mode === "before") {
        expect(first.status).toBe(503);
        expect((await register(server, input)).status).toBe(201);
      } else expect(first.status).toBe(201);
      expect((await activate(server, input.username, await activationCode(server, input.email))).status).toBe(
        200,
      );
      expect(await server.inbox.messagesTo(input.email)).toHaveLength(1);
    },
  );

  it.each(modes)("activation (write fails %s writing): the same code activates", async (mode) => {
    const faults = createFaultInjector();
    await using server = await serverWith(faults);
    const input = newUserInput();
    await register(server, input);
    const code = await activationCode(server, input.email);
    faults.failNext("users.activate", mode);
    const first = await activate(server, input.username, code);
    expect(first.status).toBe(mode === "before" ? 503 : 200);
    const again = await activate(server, input.username, code);
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ is_active: true });
  });

  it.each(modes)(
    "activation resend (replace fails %s writing): a new code arrives and works",
    async (mode) => {
      const faults = createFaultInjector();
      await using server = await serverWith(faults);
      const input = newUserInput();
      const { id } = await json<{ id: string }>(await register(server, input));
      await server.inbox.waitForMessages(input.email, { count: 1 });
      const cooledDown = { $set: { "activation.sent_at": new Date(Date.now() - 3_600_000) } };
      await storedCollection(server, "users").updateOne({ _id: storedId(id) }, cooledDown);
      faults.failNext("users.replaceActivation", mode);
      const resend = () => server.api(`/api/users/activation/resend?identifier=${input.username}`);
      const first = await resend();
      expect(faults.fired()).toEqual(["users.replaceActivation"]);
      if (mode === "before") {
        expect(first.status).toBe(503);
        expect((await resend()).status).toBe(200);
      } else expect(first.status).toBe(200);
      const code = await activationCode(server, input.email, 2);
      expect((await activate(server, input.username, code)).status).toBe(200);
    },
  );

  it.each(modes)(
    "MFA enable (write fails %s writing): enrolment can start again and be confirmed",
    async (mode) => {
      const faults = createFaultInjector();
      await using server = await serverWith(faults);
      const user = await createActiveUser(server);
      const enable = () =>
        patch(server, "/api/users/mfa/enable", { id: user.id, current_password: user.password });
      expect((await enable()).status).toBe(200);
      faults.failNext("users.updateMfa", mode);
      expect((await enable()).status).toBe(503);
      const again = await enable();
      expect(again.status).toBe(200);
      const { secret } = await json<{ secret: string }>(again);
      const confirmed = await patch(server, "/api/users/mfa/confirm", {
        id: user.id,
        code: await codeAt(secret, 0),
      });
      expect(confirmed.status).toBe(200);
    },
  );

  it.each(modes)(
    "MFA confirm (write fails %s writing): MFA ends on with recovery codes the user has",
    async (mode) => {
      const faults = createFaultInjector();
      await using server = await serverWith(faults);
      const user = await createActiveUser(server);
      const enabled = await patch(server, "/api/users/mfa/enable", {
        id: user.id,
        current_password: user.password,
      });
      const { secret } = await json<{ secret: string }>(enabled);
      faults.failNext("users.updateMfa", mode);
      let confirmed = await patch(server, "/api/users/mfa/confirm", {
        id: user.id,
        code: await codeAt(secret, -30),
      });
      if (mode === "before") {
        expect(confirmed.status).toBe(503);
        confirmed = await patch(server, "/api/users/mfa/confirm", {
          id: user.id,
          code: await codeAt(secret, 0),
        });
      }
      expect(confirmed.status).toBe(200);
      const { recovery_codes } = await json<{ recovery_codes: string[] }>(confirmed);
      expect(recovery_codes).toHaveLength(10);
      const login = await post(server, "/api/users/auth/check", {
        identifier: user.username,
        password: user.password,
        totp_code: recovery_codes[0],
      });
      expect(login.status).toBe(200);
      expect(await json(login)).toMatchObject({ mfa_enabled: true });
    },
  );

  it.each(modes)(
    "email change request (write fails %s writing): a code arrives and confirms",
    async (mode) => {
      const faults = createFaultInjector();
      await using server = await serverWith(faults);
      const user = await createActiveUser(server);
      const newEmail = `moved.${user.username}@example.org`;
      const request = () =>
        post(server, "/api/users/email/change", {
          id: user.id,
          new_email: newEmail,
          current_password: user.password,
        });
      faults.failNext("users.setEmailChange", mode);
      const first = await request();
      if (mode === "before") {
        expect(first.status).toBe(503);
        expect((await request()).status).toBe(200);
      } else expect(first.status).toBe(200);
      const code = await codeIn(server, newEmail, 1, "confirmation");
      const confirmed = await patch(server, "/api/users/email/confirm", { id: user.id, code });
      expect(confirmed.status).toBe(200);
      expect(await json(confirmed)).toMatchObject({ email: newEmail });
    },
  );

  it.each(modes)(
    "email change confirm (write fails %s writing): the address changes and the old one is told",
    async (mode) => {
      const faults = createFaultInjector();
      await using server = await serverWith(faults);
      const user = await createActiveUser(server);
      const newEmail = `moved.${user.username}@example.org`;
      await post(server, "/api/users/email/change", {
        id: user.id,
        new_email: newEmail,
        current_password: user.password,
      });
      const code = await codeIn(server, newEmail, 1, "confirmation");
      faults.failNext("users.applyEmailChange", mode);
      const confirm = () => patch(server, "/api/users/email/confirm", { id: user.id, code });
      const first = await confirm();
      if (mode === "before") {
        expect(first.status).toBe(503);
        expect((await confirm()).status).toBe(200);
      } else expect(first.status).toBe(200);
      expect(await json(await server.api(`/api/users/id?id=${user.id}`))).toMatchObject({ email: newEmail });
      const notices = await server.inbox.waitForMessages(user.email, { count: 2 }); // activation + notice
      expect(notices[1]?.text).toContain(newEmail);
    },
  );

  it.each(modes)(
    "password reset (write fails %s writing): the new password works and the user is told",
    async (mode) => {
      const faults = createFaultInjector();
      await using server = await serverWith(faults);
      const user = await createActiveUser(server);
      await post(server, "/api/users/password/forgot", { identifier: user.email });
      const messages = await server.inbox.waitForMessages(user.email, { count: 2 });
      const link = /(https\S+reset-password\S*)/.exec(messages[1]?.text ?? "")?.[1] ?? "";
      const token = new URL(link).searchParams.get("token") ?? "";
      const password = "A-brand-new-password-1";
      const reset = () =>
        post(server, "/api/users/password/reset", { token, password, password_confirmation: password });
      faults.failNext("users.setPasswordHash", mode);
      const first = await reset();
      if (mode === "before") {
        expect(first.status).toBe(503);
        expect((await reset()).status).toBe(200);
      } else expect(first.status).toBe(200);
      const login = await post(server, "/api/users/auth/check", { identifier: user.username, password });
      expect(login.status).toBe(200);
      const notice = await server.inbox.waitForMessages(user.email, { count: 3 });
      expect(notice[2]?.subject).toBe("Your password was changed");
    },
  );
});

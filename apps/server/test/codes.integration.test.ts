import { describe, expect, it } from "vitest";
import {
  activate,
  activationCode,
  createActiveUser,
  emailChangeCode,
  json,
  newUserInput,
  patch,
  post,
  register,
  startTestServer,
  type TestServer,
  withinOneThrottleWindow,
} from "./harness";

/** The `token` of the one-click link in the `count`-th email to `address`. */
async function linkToken(server: TestServer, address: string, count = 1): Promise<string> {
  const messages = await server.inbox.waitForMessages(address, { count });
  const link = /(https?:\/\/\S+)/.exec(messages[count - 1]?.text ?? "")?.[1];
  const token = link ? new URL(link).searchParams.get("token") : null;
  if (!token) throw new Error(`no link in email ${count} to ${address}`);
  return token;
}

/** An answer without its request id: what a caller could compare across accounts. */
async function answerOf(response: Response) {
  const { request_id: _id, ...body } = await json(response);
  return { status: response.status, body };
}

const other = (code: string) => (code === "000000" ? "111111" : "000000");

describe("codes: no enumeration", () => {
  it("answers a wrong activation code alike for unknown, pending and active accounts", async () => {
    await using server = await startTestServer();
    const pending = newUserInput();
    await register(server, pending);
    const code = await activationCode(server, pending.email);
    const active = await createActiveUser(server);
    const answers = [
      await answerOf(await activate(server, "nobody-at-all", other(code))),
      await answerOf(await activate(server, "nobody@example.com", other(code))),
      await answerOf(await activate(server, pending.username, other(code))),
      await answerOf(await activate(server, active.username, other(code))),
      await answerOf(await activate(server, active.email, code)),
      await answerOf(await patch(server, "/api/users/activation", { token: "made-up" })),
      await answerOf(
        await patch(server, "/api/users/activation", { token: `${active.id}.${"A".repeat(43)}` }),
      ),
    ];
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ status: 400, body: { code: "INVALID_ACTIVATION_CODE" } });
    expect(JSON.stringify(answers[0])).not.toMatch(/tries? left|last try|already active/i);
  });

  it("answers a wrong email-change code alike for unknown users, users with nothing pending and pending changes", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const idle = await createActiveUser(server);
    const newEmail = `moved.${user.username}@example.org`;
    expect(
      (
        await post(server, "/api/users/email/change", {
          id: user.id,
          new_email: newEmail,
          current_password: user.password,
        })
      ).status,
    ).toBe(200);
    const code = await emailChangeCode(server, newEmail);
    const answers = [
      await answerOf(
        await patch(server, "/api/users/email/confirm", { id: "63a1f1234abc5678def12345", code }),
      ),
      await answerOf(await patch(server, "/api/users/email/confirm", { id: idle.id, code })),
      await answerOf(await patch(server, "/api/users/email/confirm", { id: user.id, code: other(code) })),
      await answerOf(
        await patch(server, "/api/users/email/confirm", { token: `${idle.id}.${"A".repeat(43)}` }),
      ),
    ];
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ status: 400, body: { code: "INVALID_EMAIL_CODE" } });
  });
});

describe("codes: the owner cannot be blocked", () => {
  it("activates with the email's one-click link after others sent 5+ wrong codes", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    await register(server, input);
    const code = await activationCode(server, input.email);
    for (let i = 0; i < 7; i++)
      expect((await activate(server, input.username, other(code))).status).toBe(400);
    expect((await activate(server, input.username, code)).status).toBe(400); // the code is locked
    const token = await linkToken(server, input.email);
    expect(token).toMatch(/^[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/);
    const activated = await patch(server, "/api/users/activation", { token });
    expect(activated.status).toBe(200);
    expect(await json(activated)).toMatchObject({ username: input.username, is_active: true });
    expect(
      (await post(server, "/api/users/auth/check", { identifier: input.username, password: input.password }))
        .status,
    ).toBe(200);
  });

  it("confirms an email change with the link after wrong codes", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const newEmail = `moved.${user.username}@example.org`;
    await post(server, "/api/users/email/change", {
      id: user.id,
      new_email: newEmail,
      current_password: user.password,
    });
    const token = await linkToken(server, newEmail);
    for (let i = 0; i < 6; i++)
      expect((await patch(server, "/api/users/email/confirm", { id: user.id, code: "000000" })).status).toBe(
        400,
      );
    const confirmed = await patch(server, "/api/users/email/confirm", { token });
    expect(confirmed.status).toBe(200);
    expect(await json(confirmed)).toMatchObject({ id: user.id, email: newEmail });
  });

  it("takes `{ identifier, code }` or `{ token }`, not both, nor half of one", async () => {
    await using server = await startTestServer();
    for (const body of [
      { identifier: "someone" },
      { code: "123456" },
      { token: "x", code: "123456" },
      { token: "x", identifier: "someone", code: "123456" },
      {},
    ]) {
      const response = await patch(server, "/api/users/activation", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await json(response)).toMatchObject({ code: "VALIDATION_ERROR" });
    }
  });
});

describe("codes: the daily bound", () => {
  // Up to 20 s may go to waiting for a UTC day with room left.
  it("judges at most 20 codes a day per account, across resends; the link still activates", {
    timeout: 60_000,
  }, async () => {
    await using server = await startTestServer({ ACTIVATION_RESEND_COOLDOWN_SECONDS: "0" });
    await withinOneThrottleWindow({ windowSeconds: 86_400 }, 20); // the day is a fixed UTC window
    const input = newUserInput();
    await register(server, input);
    // 4 codes x 5 tries = the day's 20.
    for (let n = 1; n <= 4; n++) {
      const code = await activationCode(server, input.email, n);
      for (let i = 0; i < 5; i++) await activate(server, input.username, other(code));
      await server.api(`/api/users/activation/resend?identifier=${input.username}`);
    }
    const fresh = await activationCode(server, input.email, 5);
    const refused = await activate(server, input.username, fresh);
    expect(refused.status).toBe(400);
    expect(await json(refused)).toMatchObject({ code: "INVALID_ACTIVATION_CODE" });
    expect(
      (await patch(server, "/api/users/activation", { token: await linkToken(server, input.email, 5) }))
        .status,
    ).toBe(200);
  });
});

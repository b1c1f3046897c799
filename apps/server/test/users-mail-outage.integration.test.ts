import { createMailpitClient, startLocalMailServer } from "@usersvc/local-stack";
import { describe, expect, it } from "vitest";
import { json, newUserInput, register, startTestServer } from "./harness";

describe("users: email survives an SMTP outage", () => {
  it("registers 20 users with 201 while SMTP is down, and delivers every email exactly once when it is back", async () => {
    await using mail = await startLocalMailServer();
    const inbox = createMailpitClient(mail.webUrl);
    await using server = await startTestServer({
      MAIL_SERVER: mail.smtpHost,
      MAIL_PORT: String(mail.smtpPort),
      MAIL_TIMEOUT_MS: "1000",
    });
    await mail.pause();

    const inputs = Array.from({ length: 20 }, () => newUserInput());
    const statuses = await Promise.all(inputs.map(async (input) => (await register(server, input)).status));
    expect(statuses).toEqual(inputs.map(() => 201));
    const doomed = newUserInput();
    const { id: doomedId } = await json<{ id: string }>(await register(server, doomed));
    // Deleting a user drops the email still queued for them.
    expect((await server.api(`/api/users/id?id=${doomedId}`, { method: "DELETE" })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a few failed attempts

    await mail.start();
    for (const input of inputs) {
      const messages = await inbox.waitForMessages(input.email, { timeoutMs: 15_000 });
      expect(messages[0]?.text).toMatch(/activation code is \d{6}/);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const input of inputs) expect(await inbox.messagesTo(input.email)).toHaveLength(1);
    expect(await inbox.messagesTo(doomed.email)).toHaveLength(0);
  });
});

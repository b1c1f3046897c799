import { createMailpitClient, createTestCertificate, startLocalMailServer } from "@usersvc/local-stack";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newUserInput, register, startTestServer, storedCollection, type TestServer } from "./harness";

/** A Mailpit of its own whose SMTP port offers STARTTLS with a self-signed certificate, and requires it. */
const certificate = createTestCertificate();
let mail: Awaited<ReturnType<typeof startLocalMailServer>>;

beforeAll(async () => {
  mail = await startLocalMailServer(() => {}, {
    tls: { certFile: certificate.certFile, keyFile: certificate.keyFile, requireStartTls: true },
  });
});
afterAll(() => mail?.stop());

const tlsMail = () => ({ MAIL_SERVER: mail.smtpHost, MAIL_PORT: String(mail.smtpPort) });

/** Registers a user; returns the address its activation email goes to. */
async function registerUser(server: TestServer): Promise<string> {
  const input = newUserInput();
  expect((await register(server, input)).status).toBe(201);
  return input.email;
}

/** The outbox's last error for the email to `address`, once one was recorded. */
async function lastSendError(server: TestServer, address: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const messages = await storedCollection(server, "outbox").find({}).toArray();
    const error = messages.map((m) => m.last_error).find((e): e is string => typeof e === "string");
    if (error) return error;
    if (Date.now() > deadline) throw new Error(`no send error recorded for ${address}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("mail TLS", () => {
  it("the test server refuses mail sent in clear text (so what it accepts came over TLS)", async () => {
    const clear = nodemailer.createTransport({ host: mail.smtpHost, port: mail.smtpPort, ignoreTLS: true });
    await expect(
      clear.sendMail({ from: "a@example.com", to: "b@example.com", subject: "clear", text: "clear" }),
    ).rejects.toThrow(/STARTTLS|TLS/i);
    clear.close();
  });

  it("uses STARTTLS whenever the server offers it, checking its certificate against MAIL_TLS_CA_FILE", async () => {
    await using server = await startTestServer({ ...tlsMail(), MAIL_TLS_CA_FILE: certificate.certFile });
    const address = await registerUser(server);
    const [message] = await createMailpitClient(mail.webUrl).waitForMessages(address);
    expect(message?.text).toMatch(/activation code is \d{6}/);
  });

  it("keeps certificate checks on: an untrusted self-signed server gets nothing", async () => {
    await using server = await startTestServer(tlsMail());
    const address = await registerUser(server);
    expect(await lastSendError(server, address)).toMatch(/self[- ]signed certificate/i);
    expect(await createMailpitClient(mail.webUrl).messagesTo(address)).toEqual([]);
  });

  it("MAIL_USE_TLS=True sends nothing to a server that offers no STARTTLS", async () => {
    // The shared Mailpit of the other tests speaks clear text only.
    await using server = await startTestServer({ MAIL_USE_TLS: "True" });
    const address = await registerUser(server);
    expect(await lastSendError(server, address)).toMatch(/STARTTLS/i);
    expect(await server.inbox.messagesTo(address)).toEqual([]);
  });

  it("warns at start when production is allowed to send credentials that may stay in clear text", async () => {
    const lines: string[] = [];
    await using _server = await startTestServer(
      {
        APP_ENV: "production",
        RESET_PASSWORD_URL: "https://app.example.com/reset-password",
        ACTIVATION_URL: "https://app.example.com/activate",
        EMAIL_CONFIRM_URL: "https://app.example.com/confirm-email",
        EMAIL_REVERT_URL: "https://app.example.com/revert-email",
        MAIL_USERNAME: "mailer",
        MAIL_PASSWORD: "mail-password",
        MAIL_ALLOW_INSECURE: "true",
      },
      { logLines: lines },
    );
    const warning = lines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .find((l) => /clear text/.test(l.msg));
    expect(warning?.level).toBe(40);
    expect(lines.join("\n")).not.toContain("mail-password");
  });
});

import { describe, expect, it } from "vitest";
import { activate, activationCode, newUserInput, post, register, startTestServer } from "./harness";

describe("logs", () => {
  it("never contain a password, code, token or key, across the whole flow at trace level", async () => {
    const lines: string[] = [];
    await using server = await startTestServer({}, { logLines: lines });
    const input = newUserInput({ password: "Secret-pass-4242", password_confirmation: "Secret-pass-4242" });
    await register(server, input);
    const code = await activationCode(server, input.email);
    await activate(server, input.username, code === "000000" ? "111111" : "000000");
    await activate(server, input.username, code);
    await post(server, "/api/users/auth/check", { identifier: input.username, password: "Wrong-pass-9999" });
    await post(server, "/api/users/auth/check", { identifier: input.username, password: input.password });
    await post(server, "/api/users/password/forgot", { identifier: input.email });
    const messages = await server.inbox.waitForMessages(input.email, { count: 2 });
    const token =
      new URL(/(http\S+)/.exec(messages[1]?.text ?? "")?.[1] ?? "http://x").searchParams.get("token") ?? "";
    expect(token).not.toBe("");
    await post(server, "/api/users/password/reset", {
      token,
      password: "Fresh-pass-7777",
      password_confirmation: "Fresh-pass-7777",
    });
    await post(server, "/api/users/password/change", {
      id: "63a1f1234abc5678def12345",
      current_password: "Fresh-pass-7777",
      password: "Other-pass-5555",
      password_confirmation: "Other-pass-5555",
    });
    await server.inbox.waitForMessages(input.email, { count: 3 });

    const log = lines.join("");
    expect(lines.length).toBeGreaterThan(10); // it really logged, at trace level
    for (const secret of [
      input.password,
      "Wrong-pass-9999",
      "Fresh-pass-7777",
      "Other-pass-5555",
      token,
      server.apiKey,
      server.settings.secretKey,
    ]) {
      expect(log.includes(secret), `log contains ${secret.slice(0, 4)}…`).toBe(false);
    }
    // The 6-digit code as a number of its own (not inside a timestamp).
    expect(log).not.toMatch(new RegExp(`(?<![0-9])${code}(?![0-9])`));
  });
});

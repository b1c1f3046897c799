import { describe, expect, it } from "vitest";
import {
  activate,
  activationCode,
  json,
  newUserInput,
  register,
  startTestServer,
  storedCollection,
  storedId,
} from "./harness";

const resendMessage =
  "If an account with this identifier is waiting for activation, a new code has been sent.";

describe("users: activation codes", () => {
  it("kills a code after 5 wrong tries, with no tries-left count to tell pending accounts apart", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    await register(server, input);
    const code = await activationCode(server, input.email);
    const wrong = code === "000000" ? "111111" : "000000";
    const unknown = await json<{ code: string; message: string }>(
      await activate(server, "nobody-here", wrong),
    );
    for (let i = 0; i < 5; i++) {
      const response = await activate(server, input.username, wrong);
      expect(response.status).toBe(400);
      const { request_id: _id, ...body } = await json<{ code: string; message: string; request_id: string }>(
        response,
      );
      expect(body).toEqual({ code: unknown.code, message: unknown.message });
    }
    expect(unknown.message).not.toMatch(/tries? left|last try/);
    const right = await activate(server, input.username, code);
    expect(right.status).toBe(400);
    expect(await json(right)).toMatchObject({ code: "INVALID_ACTIVATION_CODE", message: unknown.message });
  });

  it("refuses an expired code with the same answer", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    const { id } = await json<{ id: string }>(await register(server, input));
    const code = await activationCode(server, input.email);
    // Let the code's lifetime pass.
    await storedCollection(server, "users").updateOne(
      { _id: storedId(id) },
      { $set: { "activation.expires_at": new Date(Date.now() - 1_000) } },
    );
    const response = await activate(server, input.email, code);
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: "INVALID_ACTIVATION_CODE" });
  });

  it("answers the right code of an active account with the user again, and anything else like an unknown account", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    await register(server, input);
    const code = await activationCode(server, input.email);
    expect((await activate(server, input.username, code)).status).toBe(200);
    const again = await activate(server, input.username, code);
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ username: input.username, is_active: true });
    const wrong = code === "000000" ? "111111" : "000000";
    const active = await activate(server, input.username, wrong);
    const unknown = await activate(server, "nobody-here", code);
    expect(active.status).toBe(400);
    expect(unknown.status).toBe(400);
    const { request_id: _a, ...activeBody } = await json(active);
    const { request_id: _u, ...unknownBody } = await json(unknown);
    expect(activeBody).toEqual(unknownBody);
    expect(activeBody).toMatchObject({ code: "INVALID_ACTIVATION_CODE" });
  });

  it("lets one of several concurrent activations with the right code win", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    const { id } = await json<{ id: string }>(await register(server, input));
    const code = await activationCode(server, input.email);
    // 4 of the code's 5 tries (the last is for the check below). Losers answer 200 (the
    // activation had landed) or the generic 400 (it was still in flight).
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => activate(server, input.username, code)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses).toContain(200);
    for (const status of statuses) expect([200, 400]).toContain(status);
    const stored = await storedCollection(server, "users").findOne({ _id: storedId(id) });
    expect(stored?.is_active).toBe(true);
    expect((await activate(server, input.username, code)).status).toBe(200);
  });

  it("stores only a keyed hash of the code", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    const { id } = await json<{ id: string }>(await register(server, input));
    const code = await activationCode(server, input.email);
    const stored = await storedCollection(server, "users").findOne({ _id: storedId(id) });
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(stored?.activation?.code_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stored?.password_hash).toMatch(/^\$argon2id\$/);
  });
});

describe("users: resending the activation code", () => {
  it("sends a fresh code that replaces the old one", async () => {
    await using server = await startTestServer({ ACTIVATION_RESEND_COOLDOWN_SECONDS: "0" });
    const input = newUserInput();
    await register(server, input);
    const first = await activationCode(server, input.email, 1);

    const resent = await server.api(`/api/users/activation/resend?identifier=${input.username}`);
    expect(resent.status).toBe(200);
    expect(await json(resent)).toEqual({ message: resendMessage });
    const second = await activationCode(server, input.email, 2);

    if (first !== second) {
      const old = await activate(server, input.username, first);
      expect(old.status).toBe(400);
      expect(await json(old)).toMatchObject({ code: "INVALID_ACTIVATION_CODE" });
    }
    expect((await activate(server, input.username, second)).status).toBe(200);
  });

  it("does not send again within the cooldown", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    await register(server, input);
    await server.inbox.waitForMessages(input.email, { count: 1 });
    const resent = await server.api(`/api/users/activation/resend?identifier=${input.email}`);
    expect(await json(resent)).toEqual({ message: resendMessage });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await server.inbox.messagesTo(input.email)).toHaveLength(1);
  });

  it("answers the same for unknown and already active accounts, sending nothing", async () => {
    await using server = await startTestServer({ ACTIVATION_RESEND_COOLDOWN_SECONDS: "0" });
    const input = newUserInput();
    await register(server, input);
    const code = await activationCode(server, input.email);
    await activate(server, input.username, code);
    for (const identifier of [input.username, "ghost-user", "ghost@example.com"]) {
      const response = await server.api(`/api/users/activation/resend?identifier=${identifier}`);
      expect(response.status).toBe(200);
      expect(await json(response)).toEqual({ message: resendMessage });
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await server.inbox.messagesTo(input.email)).toHaveLength(1);
    expect(await server.inbox.messagesTo("ghost@example.com")).toHaveLength(0);
  });
});

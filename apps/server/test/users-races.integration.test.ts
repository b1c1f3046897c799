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

describe("users: races", () => {
  it("allows no more than 5 guesses of a code, even when 20 arrive at once", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    const { id } = await json<{ id: string }>(await register(server, input));
    const code = await activationCode(server, input.email);
    const wrong = code === "999999" ? "999998" : "999999";
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => activate(server, input.username, wrong)),
    );
    const codes = await Promise.all(responses.map(async (r) => (await json<{ code: string }>(r)).code));
    expect(codes.filter((c) => c === "INVALID_ACTIVATION_CODE")).toHaveLength(20);
    // Only 5 were judged: 5 try claims, 5 wrong codes counted, and the right code no longer works.
    const stored = await storedCollection(server, "users").findOne({ _id: storedId(id) });
    const codeId = String(stored?.activation?.code_id);
    const tries = await storedCollection(server, "claims").countDocuments({
      _id: { $regex: `^activation:${codeId}:try:` },
    } as Record<string, unknown>);
    expect(tries).toBe(5);
    // The stored count is for display: concurrent `$inc`s can lose one on FerretDB (guarded
    // updates are not atomic there); the try claims above are what bound the guesses.
    expect(stored?.activation?.attempts).toBeGreaterThanOrEqual(1);
    expect(stored?.activation?.attempts).toBeLessThanOrEqual(5);
    const right = await activate(server, input.username, code);
    expect(right.status).toBe(400);
    expect(await json(right)).toMatchObject({ code: "INVALID_ACTIVATION_CODE" });
  });

  it("sends one new code for a burst of concurrent resend requests", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    const { id } = await json<{ id: string }>(await register(server, input));
    await server.inbox.waitForMessages(input.email, { count: 1 });
    // The 60 s cooldown has passed for the first code.
    await storedCollection(server, "users").updateOne(
      { _id: storedId(id) },
      { $set: { "activation.sent_at": new Date(Date.now() - 61_000) } },
    );
    const burst = await Promise.all(
      Array.from({ length: 10 }, () =>
        server.api(`/api/users/activation/resend?identifier=${input.username}`),
      ),
    );
    expect(burst.every((r) => r.status === 200)).toBe(true);
    const code = await activationCode(server, input.email, 2);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await server.inbox.messagesTo(input.email)).toHaveLength(2);
    expect((await activate(server, input.username, code)).status).toBe(200);
  });
});

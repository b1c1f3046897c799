import { describe, expect, it } from "vitest";
import {
  activate,
  activationCode,
  json,
  newUserInput,
  publicUserKeys,
  register,
  startTestServer,
} from "./harness";

describe("users: register -> email -> activate -> look up -> delete (REST)", () => {
  it("runs the whole flow with the code read from the real email", async () => {
    await using server = await startTestServer();
    const input = newUserInput({ username: "JohnDoe_flow", email: "John.Flow@Example.com" });

    const created = await register(server, input);
    expect(created.status).toBe(201);
    const user = await json<{ id: string; is_active: boolean }>(created);
    expect(Object.keys(user).sort()).toEqual(publicUserKeys);
    expect(user).toMatchObject({
      username: "JohnDoe_flow",
      email: "John.Flow@Example.com",
      first_name: "John",
      last_name: "Doe",
      gender: "Male",
      role: "user",
      is_active: false,
      mfa_enabled: false,
    });

    const [email] = await server.inbox.waitForMessages("john.flow@example.com");
    expect(email?.subject).toMatch(/activation code/i);
    expect(email?.html).toMatch(/\d{6}/);
    const code = await activationCode(server, "john.flow@example.com");

    const inactiveLookup = await server.api("/api/users/identifier?identifier=johndoe_flow");
    expect(inactiveLookup.status).toBe(404);

    const activated = await activate(server, "johndoe_flow", code);
    expect(activated.status).toBe(200);
    expect(await json(activated)).toMatchObject({ id: user.id, is_active: true });

    for (const identifier of [
      "JohnDoe_flow",
      "johndoe_flow",
      "john.flow@example.com",
      "JOHN.FLOW@EXAMPLE.COM",
    ]) {
      const found = await server.api(`/api/users/identifier?identifier=${encodeURIComponent(identifier)}`);
      expect(found.status, identifier).toBe(200);
      expect(await json(found)).toMatchObject({ id: user.id, is_active: true });
    }
    const byId = await server.api(`/api/users/id?id=${user.id}`);
    expect(await json(byId)).toMatchObject({ id: user.id, username: "JohnDoe_flow" });

    const deleted = await server.api(`/api/users/id?id=${user.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toEqual({ message: "User deleted." });
    const again = await server.api(`/api/users/id?id=${user.id}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(await json(again)).toMatchObject({ code: "USER_NOT_FOUND" });
    expect((await server.api(`/api/users/id?id=${user.id}`)).status).toBe(404);
  });

  it("deletes by username or email, and 404s the second time", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    expect((await register(server, input)).status).toBe(201);
    const first = await server.api(`/api/users/identifier?identifier=${input.email.toUpperCase()}`, {
      method: "DELETE",
    });
    expect(first.status).toBe(200);
    const second = await server.api(`/api/users/identifier?identifier=${input.email}`, { method: "DELETE" });
    expect(second.status).toBe(404);
  });

  it("defaults the role to user and keeps the username's case while comparing without it", async () => {
    await using server = await startTestServer();
    const { role: _role, ...input } = newUserInput({ username: "MiXeD.Case-1" });
    const created = await json(await register(server, input));
    expect(created).toMatchObject({ role: "user", username: "MiXeD.Case-1" });
  });

  it("never returns a hash, code, token or secret, in any response of the flow", async () => {
    await using server = await startTestServer();
    const input = newUserInput();
    const bodies: string[] = [];
    const keep = async (response: Response) => {
      const text = await response.text();
      bodies.push(text);
      return text;
    };
    const created = JSON.parse(await keep(await register(server, input))) as { id: string };
    const code = await activationCode(server, input.email);
    await keep(await activate(server, input.username, "000000"));
    await keep(await server.api(`/api/users/activation/resend?identifier=${input.username}`));
    await keep(await server.api(`/api/users/id?id=${created.id}`));
    await keep(await activate(server, input.username, code));
    await keep(await server.api(`/api/users/identifier?identifier=${input.username}`));
    for (const body of bodies) {
      expect(body).not.toMatch(/\$argon2|"password|_hash"|"activation"|code_id|secret"|"token/i);
      expect(body).not.toContain(code);
    }
  });
});

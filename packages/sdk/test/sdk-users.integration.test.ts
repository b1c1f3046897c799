import { activationCode, newUserInput, startTestServer } from "@usersvc/server/testing";
import { describe, expect, it } from "vitest";
import { createUsersClient, errorCodeOf } from "../src/index";

describe("SDK: the users flow", () => {
  it("registers, activates with the emailed code, looks up and deletes, fully typed", async () => {
    await using server = await startTestServer();
    const client = createUsersClient({ url: server.url, apiKey: server.apiKey });
    const input = newUserInput({ gender: "Female", role: "admin" });

    const user = await client.users.create({ ...input, gender: "Female", role: "admin" });
    expect(user).toMatchObject({ username: input.username, is_active: false, role: "admin" });

    const code = await activationCode(server, input.email);
    const active = await client.users.activate({ identifier: input.email, code });
    expect(active.is_active).toBe(true);

    const [byId, byName] = await Promise.all([
      client.users.getById({ id: user.id }),
      client.users.getByIdentifier({ identifier: input.username }),
    ]);
    expect(byId.id).toBe(user.id);
    expect(byName.id).toBe(user.id);
    expect(await client.users.resendActivation({ identifier: input.email })).toHaveProperty("message");

    expect(await client.users.deleteByIdentifier({ identifier: input.username })).toEqual({
      message: "User deleted.",
    });
    const error = await client.users.deleteById({ id: user.id }).catch((e: unknown) => e);
    expect(errorCodeOf(error)).toBe("USER_NOT_FOUND");
  });

  it("reports conflicts and validation problems with their stable codes", async () => {
    await using server = await startTestServer();
    const client = createUsersClient({ url: server.url, apiKey: server.apiKey });
    const input = { ...newUserInput(), gender: "Male" as const, role: "user" as const };
    await client.users.create(input);
    const taken = await client.users
      .create({ ...input, email: "other@example.com" })
      .catch((e: unknown) => e);
    expect(errorCodeOf(taken)).toBe("USERNAME_TAKEN");
    const invalid = await client.users.create({ ...input, username: "x" }).catch((e: unknown) => e);
    expect(errorCodeOf(invalid)).toBe("VALIDATION_ERROR");
  });
});

import { describe, expect, it } from "vitest";
import { createFakes, domainErrorOf, seedUser, storedUser } from "../../test/fakes";
import { createUpdateProfile } from "./update-profile";

async function setup() {
  const f = createFakes();
  const update = createUpdateProfile({ events: f.events, users: f.users });
  const { user } = await seedUser(f, { first_name: "Alice", last_name: "Smith", gender: "Female" });
  return { f, update, user };
}

describe("updateProfile", () => {
  it("sets the given fields only, answering the updated public view", async () => {
    const { f, update, user } = await setup();
    const updated = await update({ id: user.id, last_name: "Jones", role: "admin" });
    expect(updated).toMatchObject({
      id: user.id,
      first_name: "Alice",
      last_name: "Jones",
      gender: "Female",
      role: "admin",
    });
    expect(updated).not.toHaveProperty("password_hash");
    const stored = await storedUser(f, user.id);
    expect(stored).toMatchObject({ first_name: "Alice", last_name: "Jones", role: "admin" });
    expect(stored).toMatchObject({
      email: user.email,
      username: user.username,
      password_hash: user.password_hash,
    });
  });

  it("answers USER_NOT_FOUND for an unknown id and for one that is not an id", async () => {
    const { f, update } = await setup();
    expect((await domainErrorOf(update({ id: f.users.newId(), first_name: "X" }))).code).toBe(
      "USER_NOT_FOUND",
    );
    expect((await domainErrorOf(update({ id: "not-an-id", first_name: "X" }))).code).toBe("USER_NOT_FOUND");
  });

  it("records profile.updated with the fields whose value changed (never the values), role.changed with from and to", async () => {
    const { f, update, user } = await setup();
    await update({ id: user.id, first_name: "Alice", last_name: "Jones", role: "admin" });
    expect(f.events.recorded).toEqual([
      { type: "profile.updated", userId: user.id, details: { fields: ["last_name", "role"] } },
      { type: "role.changed", userId: user.id, details: { from: "user", to: "admin" } },
    ]);
    f.events.recorded.length = 0;
    await update({ id: user.id, first_name: "Alice" }); // no change: no event
    await domainErrorOf(update({ id: f.users.newId(), first_name: "X" }));
    expect(f.events.recorded).toEqual([]);
  });
});

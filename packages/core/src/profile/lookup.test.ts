import { describe, expect, it } from "vitest";
import { createFakes, domainErrorOf, seedUser } from "../../test/fakes";
import { createGetActiveUserByIdentifier, createGetUserById } from "./lookup";

async function setup() {
  const f = createFakes();
  const byId = createGetUserById({ users: f.users });
  const activeByIdentifier = createGetActiveUserByIdentifier({ users: f.users });
  const { user: active } = await seedUser(f, { username: "alice", email: "alice@example.com" });
  const { user: inactive } = await seedUser(f, {
    username: "pending",
    email: "pending@example.com",
    is_active: false,
  });
  return { f, byId, activeByIdentifier, active, inactive };
}

const secretFields = ["password_hash", "activation", "mfa", "email_change", "username_key", "email_key"];

describe("getUserById", () => {
  it("finds active and inactive users, showing the public view only", async () => {
    const { byId, active, inactive } = await setup();
    const found = await byId(active.id);
    expect(found).toEqual({
      id: active.id,
      username: "alice",
      first_name: active.first_name,
      last_name: active.last_name,
      email: "alice@example.com",
      gender: active.gender,
      role: "user",
      is_active: true,
      mfa_enabled: false,
      locale: null,
      created_at: active.created_at.toISOString(),
      updated_at: active.updated_at.toISOString(),
    });
    for (const field of secretFields) expect(found).not.toHaveProperty(field);
    expect(await byId(inactive.id)).toMatchObject({ id: inactive.id, is_active: false });
  });

  it("answers USER_NOT_FOUND for an unknown id", async () => {
    const { f, byId } = await setup();
    expect((await domainErrorOf(byId(f.users.newId()))).code).toBe("USER_NOT_FOUND");
  });
});

describe("getActiveUserByIdentifier", () => {
  it("finds an active user by username or email, in any case", async () => {
    const { activeByIdentifier, active } = await setup();
    for (const identifier of ["alice", "ALICE", "Alice@Example.com"]) {
      const found = await activeByIdentifier(identifier);
      expect(found).toMatchObject({ id: active.id, is_active: true });
      for (const field of secretFields) expect(found).not.toHaveProperty(field);
    }
  });

  it("does not find inactive users, nor unknown identifiers", async () => {
    const { activeByIdentifier } = await setup();
    for (const identifier of ["pending", "pending@example.com", "nobody"]) {
      expect((await domainErrorOf(activeByIdentifier(identifier))).code).toBe("USER_NOT_FOUND");
    }
  });
});

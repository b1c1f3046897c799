import { describe, expect, it } from "vitest";
import {
  activationCodes,
  claimKeys,
  createFakes,
  domainErrorOf,
  passkeyOf,
  seedUser,
} from "../../test/fakes";
import { createRegisterUser } from "../registration/register-user";
import { createDeleteUser } from "./delete-user";

async function setup() {
  const f = createFakes();
  const codes = activationCodes(f);
  const register = createRegisterUser({
    events: f.events,
    claims: f.claims,
    users: f.users,
    outbox: f.outbox,
    hasher: f.hasher,
    policy: f.policy,
    codes,
    codeLifetimeMinutes: 60,
    activationUrl: "https://app.example.com/activate",
  });
  const remove = createDeleteUser({
    events: f.events,
    users: f.users,
    outbox: f.outbox,
    claims: f.claims,
    resetTokens: f.resetTokens,
    passkeys: f.passkeys,
  });
  const registered = (username: string) =>
    register({
      username,
      first_name: "Test",
      last_name: "User",
      email: `${username}@example.com`,
      password: "Tulip-Kettle-Orbit-42",
      password_confirmation: "Tulip-Kettle-Orbit-42",
      gender: "Other",
      role: "user",
    });
  return { f, codes, remove, registered };
}

describe("deleteUser", () => {
  it("deletes by id, removing the user's queued email, reset links, passkeys and claims, and nobody else's", async () => {
    const { f, remove, registered } = await setup();
    const alice = await registered("alice");
    const bob = await registered("bob");
    for (const user of [alice, bob]) {
      await f.claims.claim(`some-decision:${user.id}`, claimKeys.userGroup(user.id));
      await f.resetTokens.create({
        userId: user.id,
        tokenHash: `link-of-${user.id}`,
        emailKey: user.email,
        expiresAt: new Date(Date.now() + 60_000),
      });
      await f.passkeys.insert(passkeyOf(user.id, `key-of-${user.id}`));
    }

    expect(await remove({ id: alice.id })).toEqual({ message: "User deleted." });
    expect(await f.users.findById(alice.id)).toBeNull();
    expect(f.store.messages().map((m) => m.userId)).toEqual([bob.id]);
    expect(await f.claims.count(claimKeys.userGroup(alice.id))).toBe(0);
    expect(await f.claims.count(claimKeys.userGroup(bob.id))).toBe(1);
    expect(f.resetTokens.all().map((t) => t.user_id)).toEqual([bob.id]);
    expect(await f.passkeys.listForUser(alice.id)).toEqual([]);
    expect((await f.passkeys.listForUser(bob.id)).map((p) => p.id)).toEqual([`key-of-${bob.id}`]);
  });

  it("deletes by username or email", async () => {
    const { f, remove } = await setup();
    const { user: alice } = await seedUser(f, { username: "alice", email: "alice@example.com" });
    const { user: bob } = await seedUser(f, { username: "bob", email: "bob@example.com" });
    await remove({ identifier: "ALICE" });
    await remove({ identifier: "Bob@Example.com" });
    expect(await f.users.findById(alice.id)).toBeNull();
    expect(await f.users.findById(bob.id)).toBeNull();
  });

  it("answers USER_NOT_FOUND for an unknown user, and for a second delete", async () => {
    const { f, remove } = await setup();
    const { user } = await seedUser(f);
    expect((await domainErrorOf(remove({ id: f.users.newId() }))).code).toBe("USER_NOT_FOUND");
    expect((await domainErrorOf(remove({ identifier: "nobody" }))).code).toBe("USER_NOT_FOUND");
    await remove({ id: user.id });
    expect((await domainErrorOf(remove({ id: user.id }))).code).toBe("USER_NOT_FOUND");
  });

  it("of two deletes at once, one succeeds", async () => {
    const { f, remove } = await setup();
    const { user } = await seedUser(f);
    const results = await Promise.allSettled([remove({ id: user.id }), remove({ id: user.id })]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
  });
});

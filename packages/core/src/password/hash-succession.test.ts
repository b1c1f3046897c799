import { describe, expect, it } from "vitest";
import { createFakes, type Fakes, seedUser, storedUser, successionFor } from "../../test/fakes";

/** A user whose stored hash was made with weaker parameters (the fake hasher's `weak:`). */
async function weakUser(f: Fakes) {
  const { user } = await seedUser(f);
  f.users.set(user.id, { password_hash: "weak:pw" });
  return storedUser(f, user.id);
}

describe("hash succession", () => {
  it("lets one upgrade replace a given hash, once", async () => {
    const f = createFakes();
    const user = await weakUser(f);
    const succession = successionFor(f);
    const [first, second] = await Promise.all([succession.claimUpgrade(user), succession.claimUpgrade(user)]);
    expect([first, second].filter((claimed) => claimed !== null)).toHaveLength(1);
  });

  it("refuses an upgrade once a change of that hash has begun (the old password never comes back)", async () => {
    const f = createFakes();
    const user = await weakUser(f);
    const succession = successionFor(f);
    await succession.beforeChange(user);
    expect(await succession.claimUpgrade(user)).toBeNull();
  });

  it("makes a change wait for an upgrade in flight, then go after it", async () => {
    const f = createFakes();
    const user = await weakUser(f);
    const succession = successionFor(f);
    const upgrade = await succession.claimUpgrade(user);
    expect(upgrade).not.toBeNull();
    let changeMayWrite = false;
    const change = succession.beforeChange(user).then(() => {
      changeMayWrite = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(changeMayWrite).toBe(false);
    await f.users.setPasswordHash(user.id, "hash:pw", { replacing: "weak:pw" });
    await change;
    expect(changeMayWrite).toBe(true);
    expect((await storedUser(f, user.id)).password_hash).toBe("hash:pw");
  });

  it("lets the upgrade be claimed again when its write failed and it gave the claim back", async () => {
    const f = createFakes();
    const user = await weakUser(f);
    const succession = successionFor(f);
    const upgrade = await succession.claimUpgrade(user);
    await upgrade?.release();
    expect(await succession.claimUpgrade(user)).not.toBeNull();
  });
});

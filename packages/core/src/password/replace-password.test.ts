import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createFakes,
  domainErrorOf,
  failNext,
  loginAttemptsFor,
  queuedFor,
  seedUser,
  single,
  storedUser,
  successionFor,
  testLimits,
} from "../../test/fakes";
import { DomainError } from "../errors";
import { assertPasswordPolicy, createReplacePassword } from "./replace-password";

async function setup() {
  const f = createFakes();
  const attempts = loginAttemptsFor(f);
  const replacePassword = createReplacePassword({
    succession: successionFor(f),
    users: f.users,
    resetTokens: f.resetTokens,
    attempts,
    outbox: f.outbox,
  });
  const { user, password } = await seedUser(f, {
    username: "alice",
    email: "alice@example.com",
    first_name: "Alice",
  });
  const { user: bob } = await seedUser(f);
  const expiresAt = new Date(Date.now() + 60_000);
  await f.resetTokens.create({
    userId: user.id,
    tokenHash: "alice-link",
    emailKey: "owner@example.com",
    expiresAt,
  });
  await f.resetTokens.create({
    userId: bob.id,
    tokenHash: "bob-link",
    emailKey: "owner@example.com",
    expiresAt,
  });
  const fail = async () => {
    const attempt = await attempts.start({ user, identifier: "alice", clientIp: "203.0.113.7" });
    await attempt.check(async () => false);
  };
  return { f, replacePassword, user, password, bob, fail };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("replacePassword", () => {
  it("stores the hash as a change made now, ends the user's links and lockout, and notifies them", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const { f, replacePassword, user, bob, fail } = await setup();
    for (let n = 0; n < testLimits.account; n++) await fail();
    await replacePassword(user, "hash:new one", { unlock: true });

    const stored = await storedUser(f, user.id);
    expect(stored.password_hash).toBe("hash:new one");
    expect(stored.password_changed_at?.getTime()).toBe(Date.now());
    expect(f.resetTokens.all().map((t) => t.user_id)).toEqual([bob.id]);
    await fail(); // not locked any more
    const notice = single(queuedFor(f, user.id).filter((m) => m.kind !== "login-locked"));
    expect(notice.kind).toBe("password-changed");
    expect(notice.email.to).toBe("alice@example.com");
    expect(notice.email.text).toContain("Hello Alice");
    expect(notice.email.subject).toMatch(/password was changed/i);
  });

  it("does nothing more when storing the hash fails", async () => {
    const { f, replacePassword, user, password } = await setup();
    failNext(f.users, "setPasswordHash");
    await expect(replacePassword(user, "hash:new one", { unlock: true })).rejects.toThrow("injected fault");
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${password}`);
    expect(f.resetTokens.all()).toHaveLength(2);
    expect(f.store.messages()).toEqual([]);
  });

  // BUG (replace-password.ts:23-33): the notice is queued last with `queue`, after the hash is
  // stored; when a later step fails (here the deletion of reset links), the password has changed
  // but the user is never told. The outbox's own rule (queueWith) is that no email is lost for
  // a change that happened.
  it("notifies the user even when a step after storing the hash fails", async () => {
    const { f, replacePassword, user } = await setup();
    failNext(f.resetTokens, "deleteForUser");
    await replacePassword(user, "hash:new one", { unlock: true }).catch(() => {});
    expect((await storedUser(f, user.id)).password_hash).toBe("hash:new one");
    expect(queuedFor(f, user.id).map((m) => m.kind)).toEqual(["password-changed"]);
  });

  it("a change (not a reset) never lands on a password locked meanwhile: PASSWORD_RESET_REQUIRED, no notice", async () => {
    const { f, replacePassword, user } = await setup();
    f.users.set(user.id, { password_locked: true }); // a revert, after the change read the user
    const error = await domainErrorOf(replacePassword(user, "hash:attacker's", { unlock: false }));
    expect(error.code).toBe("PASSWORD_RESET_REQUIRED");
    expect((await storedUser(f, user.id)).password_hash).toBe(user.password_hash);
    expect(queuedFor(f, user.id).map((m) => m.kind)).not.toContain("password-changed");
    await replacePassword(user, "hash:owner's", { unlock: true }); // the owner's reset
    expect(await storedUser(f, user.id)).toMatchObject({
      password_hash: "hash:owner's",
      password_locked: false,
    });
  });
});

describe("password policy", () => {
  const user = { username: "alice", email: "alice@example.com" };

  it.each(["alice", "ALICE", "Alice@Example.COM"])(
    "refuses %s (the username or email, any case)",
    async (password) => {
      const error = await domainErrorOf(Promise.resolve().then(() => assertPasswordPolicy(user, password)));
      expect(error).toBeInstanceOf(DomainError);
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.issues).toEqual([{ path: "password", message: "must not be the username or the email" }]);
    },
  );

  it("accepts anything else, including passwords that merely contain them", () => {
    for (const password of ["alice1", "my alice@example.com", "correct horse"]) {
      expect(() => assertPasswordPolicy(user, password)).not.toThrow();
    }
  });
});

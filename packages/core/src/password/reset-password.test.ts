import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createFakes,
  domainErrorOf,
  failNext,
  loginAttemptsFor,
  queuedFor,
  runInBackgroundOf,
  seedUser,
  settleBackground,
  single,
  storedUser,
  successionFor,
  testLimits,
  tokenIn,
} from "../../test/fakes";
import { hashCode } from "../crypto";
import { createForgotPassword } from "./forgot-password";
import { createReplacePassword } from "./replace-password";
import { createResetPassword } from "./reset-password";

const start = new Date("2030-01-01T00:00:00Z").getTime();
const lifetimeMinutes = 30;
const newPassword = "a brand new password";

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
  const reset = createResetPassword({
    events: f.events,
    users: f.users,
    resetTokens: f.resetTokens,
    claims: f.claims,
    hasher: f.hasher,
    policy: f.policy,
    keys: f.keys,
    replacePassword,
  });
  const { user, password } = await seedUser(f, { username: "alice", email: "alice@example.com" });
  /** A reset link's token for `userId`, stored as the forgot-password flow stores it. */
  const issue = async (userId = user.id) => {
    const token = randomBytes(32).toString("base64url");
    await f.resetTokens.create({
      userId,
      tokenHash: hashCode(f.keys.codeHashing, token),
      emailKey: "alice@example.com",
      expiresAt: new Date(Date.now() + lifetimeMinutes * 60_000),
    });
    return token;
  };
  const input = (token: string, password = newPassword) => ({
    token,
    password,
    password_confirmation: password,
  });
  return { f, attempts, replacePassword, reset, user, password, issue, input };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(start);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("resetPassword", () => {
  it("sets the new password, ends the user's other links and notifies the user", async () => {
    const { f, reset, user, issue, input } = await setup();
    const token = await issue();
    const other = await issue();
    const { user: bob } = await seedUser(f);
    await issue(bob.id);
    vi.setSystemTime(start + 1_000);
    expect(await reset(input(token))).toEqual({ message: "Your password has been reset." });

    const stored = await storedUser(f, user.id);
    expect(stored.password_hash).toBe(`hash:${newPassword}`);
    expect(stored.password_changed_at?.getTime()).toBe(start + 1_000);
    expect(f.resetTokens.all().map((t) => t.user_id)).toEqual([bob.id]);
    expect((await domainErrorOf(reset(input(other)))).code).toBe("INVALID_OR_EXPIRED_TOKEN");
    const notice = single(queuedFor(f, user.id));
    expect(notice.kind).toBe("password-changed");
    expect(notice.email.to).toBe("alice@example.com");
  });

  it("works with the link a forgot-password email carries", async () => {
    const { f, reset, user, input } = await setup();
    const forgot = createForgotPassword({
      events: f.events,
      users: f.users,
      resetTokens: f.resetTokens,
      outbox: f.outbox,
      claims: f.claims,
      keys: f.keys,
      reset: {
        url: "https://app.example.com/reset",
        expirationMinutes: lifetimeMinutes,
        cooldownSeconds: 60,
      },
      runInBackground: runInBackgroundOf(f),
    });
    await forgot("alice");
    await settleBackground(f);
    const token = tokenIn(single(queuedFor(f, user.id)).email);
    vi.setSystemTime(start + 1_000);
    await reset(input(token));
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${newPassword}`);
  });

  it("is single use", async () => {
    const { reset, issue, input } = await setup();
    const token = await issue();
    vi.setSystemTime(start + 1_000);
    await reset(input(token));
    expect((await domainErrorOf(reset(input(token, "yet another password")))).code).toBe(
      "INVALID_OR_EXPIRED_TOKEN",
    );
  });

  it("resets once when the same link is used several times at once", async () => {
    const { f, reset, user, issue, input } = await setup();
    const token = await issue();
    vi.setSystemTime(start + 1_000);
    const results = await Promise.allSettled(
      ["first choice", "second choice", "third choice"].map((p) => reset(input(token, p))),
    );
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "INVALID_OR_EXPIRED_TOKEN" });
    expect(queuedFor(f, user.id).filter((m) => m.kind === "password-changed")).toHaveLength(1);
  });

  it("refuses an unknown token, an expired one, and one whose user is gone", async () => {
    const { f, reset, user, issue, input, password } = await setup();
    expect((await domainErrorOf(reset(input("not-a-token")))).code).toBe("INVALID_OR_EXPIRED_TOKEN");

    const token = await issue();
    vi.setSystemTime(start + lifetimeMinutes * 60_000);
    expect((await domainErrorOf(reset(input(token)))).code).toBe("INVALID_OR_EXPIRED_TOKEN");

    const { user: gone } = await seedUser(f);
    const orphan = await issue(gone.id);
    await f.users.deleteById(gone.id);
    expect((await domainErrorOf(reset(input(orphan)))).code).toBe("INVALID_OR_EXPIRED_TOKEN");
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${password}`);
  });

  it("refuses a link made before the last password change, even if deleting it failed", async () => {
    const { f, replacePassword, reset, user, issue, input } = await setup();
    const token = await issue();
    vi.setSystemTime(start + 1_000);
    failNext(f.resetTokens, "deleteForUser");
    await expect(replacePassword(user, "hash:changed elsewhere", { unlock: true })).rejects.toThrow(
      "injected fault",
    );
    expect(f.resetTokens.all()).toHaveLength(1); // still stored ...
    vi.setSystemTime(start + 2_000);
    expect((await domainErrorOf(reset(input(token)))).code).toBe("INVALID_OR_EXPIRED_TOKEN"); // ... but dead
    expect((await storedUser(f, user.id)).password_hash).toBe("hash:changed elsewhere");
  });

  it("refuses a link sent to an address the account no longer has", async () => {
    const { f, reset, user, issue, input } = await setup();
    const token = await issue();
    f.users.set(user.id, { email: "alice@new.example.com", email_key: "alice@new.example.com" });
    expect((await domainErrorOf(reset(input(token)))).code).toBe("INVALID_OR_EXPIRED_TOKEN");
    expect((await storedUser(f, user.id)).password_hash).not.toBe(`hash:${newPassword}`);
  });

  it("refuses the username or email as the new password (any case), keeping the link usable", async () => {
    const { f, reset, user, issue, input } = await setup();
    const token = await issue();
    for (const bad of ["ALICE", "Alice@Example.com"]) {
      const error = await domainErrorOf(reset(input(token, bad)));
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.issues).toEqual([{ path: "password", message: expect.any(String) }]);
    }
    expect((await storedUser(f, user.id)).password_changed_at).toBeNull();
    await reset(input(token));
  });

  it("refuses a weak password with WEAK_PASSWORD and its feedback, keeping the link usable", async () => {
    const { f, reset, user, issue, input } = await setup();
    const token = await issue();
    const error = await domainErrorOf(reset(input(token, "Password1!")));
    expect(error.code).toBe("WEAK_PASSWORD");
    expect(error.issues.length).toBeGreaterThan(0);
    expect((await domainErrorOf(reset(input(token, "alice-1990!")))).code).toBe("WEAK_PASSWORD");
    expect((await storedUser(f, user.id)).password_hash).toBe(user.password_hash);
    await reset(input(token));
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${newPassword}`);
  });

  it("leaves the link untouched when the hasher is busy", async () => {
    const { f, reset, issue, input } = await setup();
    const token = await issue();
    f.hasher.busy = true;
    expect((await domainErrorOf(reset(input(token)))).code).toBe("SERVICE_BUSY");
    // Refused before the policy's zxcvbn check: a weak password gets SERVICE_BUSY too.
    expect((await domainErrorOf(reset(input(token, "password")))).code).toBe("SERVICE_BUSY");
    f.hasher.busy = false;
    await reset(input(token));
  });

  it("leaves the link usable when storing the new password fails", async () => {
    const { f, reset, user, issue, input, password } = await setup();
    const token = await issue();
    failNext(f.users, "setPasswordHash");
    await expect(reset(input(token))).rejects.toThrow("injected fault");
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${password}`);
    expect(queuedFor(f, user.id)).toEqual([]);
    vi.setSystemTime(start + 1_000);
    await reset(input(token));
    expect((await storedUser(f, user.id)).password_hash).toBe(`hash:${newPassword}`);
  });

  it("ends a login lockout", async () => {
    const { reset, attempts, user, issue, input } = await setup();
    const fail = async () => {
      const attempt = await attempts.start({ user, identifier: "alice", clientIp: "203.0.113.7" });
      await attempt.check(async () => false);
    };
    for (let n = 0; n < testLimits.account; n++) await fail();
    expect((await domainErrorOf(fail())).code).toBe("TOO_MANY_ATTEMPTS");
    await reset(input(await issue()));
    await fail();
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  activationCodes,
  codeIn,
  createFakes,
  domainErrorOf,
  emailChangeCodes,
  emailChangeFor,
  failNext,
  passkeyOf,
  queuedFor,
  seedPassword,
  seedUser,
  single,
  stepUpFor,
  storedUser,
  tokenIn,
} from "../../test/fakes";
import { passwordResetEmail } from "../email/kinds";
import { createRegisterUser } from "../registration/register-user";
import { createRequestEmailChange } from "./request-email-change";

const start = new Date("2030-01-01T00:00:00Z").getTime();

async function setup() {
  const f = createFakes();
  const { request, confirm, revert } = emailChangeFor(f, { codeLifetimeMinutes: 15, cooldownSeconds: 0 });
  const { user } = await seedUser(f, { email: "old@example.com" });
  const id = user.id;
  /** Changes the address to `to`; returns the revert token mailed to the address it left. */
  const change = async (to: string) => {
    await request({ id, new_email: to, current_password: seedPassword }, { clientIp: "ip" });
    const codeMail = queuedFor(f, id).filter((m) => m.kind === "email-change");
    await confirm({ id, code: codeIn((codeMail[codeMail.length - 1] ?? single([])).email) });
    const notices = queuedFor(f, id).filter((m) => m.kind === "email-changed");
    return tokenIn((notices[notices.length - 1] ?? single([])).email);
  };
  return { f, revert, change, id };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(start);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("revertEmailChange", () => {
  it("restores the old address, ends reset links and locks the password until a reset", async () => {
    const { f, revert, change, id } = await setup();
    const token = await change("attacker@example.com");
    await f.resetTokens.create({
      userId: id,
      tokenHash: "h",
      emailKey: "owner@example.com",
      expiresAt: new Date(start + 60_000),
    });
    await f.outbox.queue({
      kind: passwordResetEmail,
      userId: id,
      ref: "link",
      vars: { to: "attacker@example.com", firstName: "A", link: "https://x/?token=t", expiresInMinutes: 15 },
    });
    const user = await revert({ token });
    expect(user.email).toBe("old@example.com");
    const stored = await storedUser(f, id);
    expect(stored).toMatchObject({
      email: "old@example.com",
      email_key: "old@example.com",
      password_locked: true,
      email_reverts: [],
      email_change: null,
    });
    expect(f.resetTokens.all()).toEqual([]);
    expect(queuedFor(f, id).filter((m) => m.kind === "password-reset")).toEqual([]);
    // A new password (a reset) lifts the lock.
    await f.users.setPasswordHash(id, "hash:new", { changedAt: new Date(), unlock: true });
    expect((await storedUser(f, id)).password_locked).toBe(false);
  });

  it("removes the account's passkeys: a taker's passkey (both factors) must not outlive the revert", async () => {
    const { f, revert, change, id } = await setup();
    await f.passkeys.insert(passkeyOf(id, "takers-passkey"));
    const token = await change("attacker@example.com");
    await f.passkeys.insert(passkeyOf(id, "added-after-the-change"));
    await revert({ token });
    expect(await f.passkeys.listForUser(id)).toEqual([]);
  });

  it("works once, within 7 days, for the right token only", async () => {
    const { revert, change } = await setup();
    const token = await change("new@example.com");
    expect((await domainErrorOf(revert({ token: `${token.slice(0, -1)}x` }))).code).toBe(
      "INVALID_OR_EXPIRED_TOKEN",
    );
    expect((await domainErrorOf(revert({ token: "junk" }))).code).toBe("INVALID_OR_EXPIRED_TOKEN");
    vi.setSystemTime(start + 7 * 86_400_000);
    expect((await domainErrorOf(revert({ token }))).code).toBe("INVALID_OR_EXPIRED_TOKEN");
    vi.setSystemTime(start + 7 * 86_400_000 - 1);
    await revert({ token });
    expect((await domainErrorOf(revert({ token }))).code).toBe("INVALID_OR_EXPIRED_TOKEN");
  });

  it("keeps each change's link: the first address comes back after two changes", async () => {
    const { f, revert, change, id } = await setup();
    const first = await change("b@example.com");
    await change("c@example.com");
    await revert({ token: first });
    expect((await storedUser(f, id)).email).toBe("old@example.com");
  });

  it("reverts once under concurrency, and can be retried when its write fails", async () => {
    const { f, revert, change, id } = await setup();
    const token = await change("new@example.com");
    failNext(f.users, "revertEmailChange");
    await expect(revert({ token })).rejects.toThrow("injected fault");
    expect((await storedUser(f, id)).email).toBe("new@example.com");
    const results = await Promise.allSettled([1, 2, 3].map(() => revert({ token })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await storedUser(f, id)).email).toBe("old@example.com");
  });

  it("answers EMAIL_TAKEN when another account has the old address now, keeping the password locked", async () => {
    const { f, revert, change, id } = await setup();
    const token = await change("new@example.com");
    await seedUser(f, { email: "old@example.com" });
    expect((await domainErrorOf(revert({ token }))).code).toBe("EMAIL_TAKEN");
    expect(await storedUser(f, id)).toMatchObject({ email: "new@example.com", password_locked: true });
  });

  it("a revert of a later change keeps the earlier change's link: a taker cannot void the owner's", async () => {
    const { f, revert, change, id } = await setup();
    const owners = await change("taker@example.com"); // mailed to old@example.com
    const takers = await change("second@example.com"); // mailed to taker@example.com
    expect((await revert({ token: takers })).email).toBe("taker@example.com");
    expect((await revert({ token: owners })).email).toBe("old@example.com");
    expect((await storedUser(f, id)).password_locked).toBe(true);
  });

  it("keeps the old address for its revert: nobody may register it or change to it meanwhile", async () => {
    const { f, revert, change } = await setup();
    const token = await change("new@example.com");
    const register = createRegisterUser({
      events: f.events,
      users: f.users,
      claims: f.claims,
      outbox: f.outbox,
      hasher: f.hasher,
      policy: f.policy,
      codes: activationCodes(f),
      codeLifetimeMinutes: 60,
      activationUrl: "https://app.example.com/activate",
    });
    const squatter = register({
      username: "squatter",
      first_name: "S",
      last_name: "Q",
      email: "Old@Example.com",
      password: "Tulip-Kettle-Orbit-42",
      password_confirmation: "Tulip-Kettle-Orbit-42",
      gender: "Other",
      role: "user",
    });
    expect((await domainErrorOf(squatter)).code).toBe("EMAIL_TAKEN");
    const other = await seedUser(f, { email: "other@example.com" });
    const move = createRequestEmailChange({
      events: f.events,
      claims: f.claims,
      users: f.users,
      outbox: f.outbox,
      codes: emailChangeCodes(f),
      stepUp: stepUpFor(f),
      codeLifetimeMinutes: 15,
      confirmUrl: "https://app.example.com/confirm-email",
      cooldownSeconds: 0,
    });
    const request = { id: other.user.id, new_email: "old@example.com", current_password: seedPassword };
    expect((await domainErrorOf(move(request, { clientIp: "ip" }))).code).toBe("EMAIL_TAKEN");
    expect((await revert({ token })).email).toBe("old@example.com");
  });

  it("ends a pending MFA enrolment (perhaps the taker's)", async () => {
    const { f, revert, change, id } = await setup();
    const token = await change("new@example.com");
    await f.users.updateMfa(id, { mfa: { pending_secret_enc: "sealed", pending_id: "p1" } });
    await revert({ token });
    expect((await storedUser(f, id)).mfa).toMatchObject({ pending_secret_enc: null, pending_id: null });
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  codeIn,
  createFakes,
  domainErrorOf,
  emailChangeCodes,
  failNext,
  otherCode,
  queuedFor,
  seedUser,
  single,
  storedUser,
} from "../../test/fakes";
import { passwordResetEmail } from "../email/kinds";
import { takenError } from "../errors";
import { maxCodeAttempts } from "../one-time-codes";
import { createConfirmEmailChange } from "./confirm-email-change";
import { createRequestEmailChange } from "./request-email-change";

const codeLifetimeMinutes = 15;
const start = new Date("2030-01-01T00:00:00Z").getTime();

async function setup() {
  const f = createFakes();
  const codes = emailChangeCodes(f);
  const request = createRequestEmailChange({
    users: f.users,
    outbox: f.outbox,
    codes,
    codeLifetimeMinutes,
    cooldownSeconds: 60,
  });
  const confirm = createConfirmEmailChange({
    users: f.users,
    outbox: f.outbox,
    codes,
    resetTokens: f.resetTokens,
  });
  const { user } = await seedUser(f, { email: "old@example.com", first_name: "Alice" });
  const id = user.id;
  await request({ id, new_email: "new@example.com" });
  const code = codeIn(single(queuedFor(f, id)).email);
  /** Messages queued for the user other than the code itself. */
  const others = () => queuedFor(f, id).filter((m) => m.kind !== "email-change");
  return { f, codes, confirm, id, code, others };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(start);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("confirmEmailChange", () => {
  it("moves the address, and tells the old address", async () => {
    const { f, confirm, id, code, others } = await setup();
    const user = await confirm({ id, code });
    expect(user).toMatchObject({ id, email: "new@example.com" });
    const stored = await storedUser(f, id);
    expect(stored).toMatchObject({
      email: "new@example.com",
      email_key: "new@example.com",
      email_change: null,
    });
    expect((await f.users.findByIdentifier("NEW@example.com"))?.id).toBe(id);
    expect(await f.users.findByIdentifier("old@example.com")).toBeNull();
    const notice = single(others());
    expect(notice.kind).toBe("email-changed");
    expect(notice.email.to).toBe("old@example.com");
    expect(notice.email.text).toContain("new@example.com");
  });

  it("kills the reset links, stored and queued, that went to the old address", async () => {
    const { f, confirm, id, code, others } = await setup();
    await f.resetTokens.create({
      userId: id,
      tokenHash: "link",
      emailKey: "owner@example.com",
      expiresAt: new Date(start + 60_000),
    });
    await f.outbox.queue({
      kind: passwordResetEmail,
      userId: id,
      ref: "link",
      vars: {
        to: "old@example.com",
        firstName: "Alice",
        link: "https://app.example.com/r?token=t",
        expiresInMinutes: 30,
      },
    });
    await confirm({ id, code });
    expect(f.resetTokens.all()).toEqual([]);
    expect(others().map((m) => m.kind)).toEqual(["email-changed"]);
  });

  it("answers USER_NOT_FOUND for an unknown id and EMAIL_CHANGE_NOT_PENDING without a request", async () => {
    const { f, confirm, code } = await setup();
    expect((await domainErrorOf(confirm({ id: f.users.newId(), code }))).code).toBe("USER_NOT_FOUND");
    const { user } = await seedUser(f);
    expect((await domainErrorOf(confirm({ id: user.id, code }))).code).toBe("EMAIL_CHANGE_NOT_PENDING");
  });

  it("uses the code once: confirming again says EMAIL_CHANGE_NOT_PENDING", async () => {
    const { confirm, id, code } = await setup();
    await confirm({ id, code });
    expect((await domainErrorOf(confirm({ id, code }))).code).toBe("EMAIL_CHANGE_NOT_PENDING");
  });

  it("confirms once when the code is sent several times at once, with one notice", async () => {
    const { confirm, id, code, others } = await setup();
    const results = await Promise.allSettled([1, 2, 3].map(() => confirm({ id, code })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "EMAIL_CHANGE_NOT_PENDING" });
    expect(others()).toHaveLength(1);
  });

  it("counts wrong codes, then locks the code (EMAIL_CODE_LOCKED), leaving the address", async () => {
    const { f, confirm, id, code } = await setup();
    for (let n = 1; n <= maxCodeAttempts; n++) {
      const error = await domainErrorOf(confirm({ id, code: otherCode(code) }));
      expect(error.code).toBe("INVALID_EMAIL_CODE");
      const left = maxCodeAttempts - n;
      expect(error.message).toContain(left > 0 ? `${left} ${left === 1 ? "try" : "tries"} left` : "last try");
    }
    expect((await domainErrorOf(confirm({ id, code }))).code).toBe("EMAIL_CODE_LOCKED");
    expect((await storedUser(f, id)).email).toBe("old@example.com");
  });

  it("refuses an expired code with EMAIL_CODE_EXPIRED", async () => {
    const { f, confirm, id, code } = await setup();
    vi.setSystemTime(start + codeLifetimeMinutes * 60_000);
    expect((await domainErrorOf(confirm({ id, code }))).code).toBe("EMAIL_CODE_EXPIRED");
    expect((await storedUser(f, id)).email).toBe("old@example.com");
  });

  it("when the change fails to apply: no notice stays queued and the same code works again", async () => {
    const { f, confirm, id, code, others } = await setup();
    failNext(f.users, "applyEmailChange");
    await expect(confirm({ id, code })).rejects.toThrow("injected fault");
    expect(others()).toEqual([]);
    expect((await storedUser(f, id)).email).toBe("old@example.com");
    expect((await confirm({ id, code })).email).toBe("new@example.com");
    expect(others()).toHaveLength(1);
  });

  it("answers EMAIL_TAKEN when another account took the address meanwhile, sending no notice", async () => {
    const { f, confirm, id, code, others } = await setup();
    failNext(f.users, "applyEmailChange", takenError("EMAIL_TAKEN"));
    expect((await domainErrorOf(confirm({ id, code }))).code).toBe("EMAIL_TAKEN");
    expect(others()).toEqual([]);
    expect((await storedUser(f, id)).email).toBe("old@example.com");
  });

  it("refuses a change replaced by a newer request between reading and applying it", async () => {
    const { f, codes, id, code, others } = await setup();
    const replacement = {
      ...codes.newCode(codeLifetimeMinutes).state,
      new_email: "x@example.com",
      new_email_key: "x@example.com",
    };
    const confirm = createConfirmEmailChange({
      users: {
        ...f.users,
        async findById(userId) {
          const found = await f.users.findById(userId);
          f.users.set(userId, { email_change: replacement }); // the newer request lands now
          return found;
        },
      },
      outbox: f.outbox,
      codes,
      resetTokens: f.resetTokens,
    });
    expect((await domainErrorOf(confirm({ id, code }))).code).toBe("EMAIL_CHANGE_NOT_PENDING");
    expect(others()).toEqual([]);
    expect((await storedUser(f, id)).email).toBe("old@example.com");
  });

  // BUG (confirm-email-change.ts:60-62): the reset links are deleted only after the address has
  // changed; when that deletion fails, the request fails but the change stays, and the links
  // already mailed to the old address keep working (a retry says "no change pending" and
  // deletes nothing; unlike a password change, nothing else invalidates them).
  it("never changes the address while reset links sent to the old one still work", async () => {
    const { f, confirm, id, code } = await setup();
    await f.resetTokens.create({
      userId: id,
      tokenHash: "link",
      emailKey: "owner@example.com",
      expiresAt: new Date(start + 60_000),
    });
    failNext(f.resetTokens, "deleteForUser");
    await expect(confirm({ id, code })).rejects.toThrow("injected fault");
    expect((await storedUser(f, id)).email).not.toBe("new@example.com");
    expect(f.resetTokens.all()).toHaveLength(1);
    // The same code works on the next try, and the links die with the old address.
    expect((await confirm({ id, code })).email).toBe("new@example.com");
    expect(f.resetTokens.all()).toEqual([]);
  });
});

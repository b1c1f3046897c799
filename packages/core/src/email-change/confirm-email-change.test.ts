import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  codeIn,
  createFakes,
  domainErrorOf,
  emailChangeFor,
  failNext,
  otherCode,
  queuedFor,
  seedPassword,
  seedUser,
  single,
  storedUser,
  tokenIn,
} from "../../test/fakes";
import { hashCode } from "../crypto";
import { passwordResetEmail } from "../email/kinds";
import { takenError } from "../errors";
import { maxCodeAttempts, maxCodeTriesPerDay } from "../one-time-codes";
import { createConfirmEmailChange } from "./confirm-email-change";

const codeLifetimeMinutes = 15;
const start = new Date("2030-01-01T00:00:00Z").getTime();

async function setup() {
  const f = createFakes();
  const { codes, request, confirm, confirmDeps: deps } = emailChangeFor(f, { codeLifetimeMinutes });
  const { user } = await seedUser(f, { email: "old@example.com", first_name: "Alice" });
  const id = user.id;
  await request({ id, new_email: "new@example.com", current_password: seedPassword }, { clientIp: "ip" });
  const { email } = single(queuedFor(f, id));
  const code = codeIn(email);
  const token = tokenIn(email);
  /** Messages queued for the user other than the code itself. */
  const others = () => queuedFor(f, id).filter((m) => m.kind !== "email-change");
  return { f, codes, deps, confirm, id, code, token, others };
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
    // ... with a link that reverts the change for 7 days, stored as a keyed hash only.
    expect(notice.email.text).toContain("https://app.example.com/revert-email?token=");
    expect(notice.email.text).toContain("within 7 days");
    expect(stored.email_reverts).toEqual([
      {
        token_hash: hashCode(f.keys.codeHashing, tokenIn(notice.email)),
        email: "old@example.com",
        email_key: "old@example.com",
        expires_at: new Date(start + 7 * 86_400_000),
      },
    ]);
  });

  it("confirms with the link's token alone, whatever wrong codes others sent", async () => {
    const { f, confirm, id, code, token } = await setup();
    for (let n = 0; n < maxCodeTriesPerDay; n++) await domainErrorOf(confirm({ id, code: otherCode(code) }));
    expect((await domainErrorOf(confirm({ id, code }))).code).toBe("INVALID_EMAIL_CODE");
    expect((await confirm({ token })).email).toBe("new@example.com");
    expect((await storedUser(f, id)).email).toBe("new@example.com");
    expect((await domainErrorOf(confirm({ token }))).code).toBe("INVALID_EMAIL_CODE");
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

  it("answers an unknown id, a user with nothing pending, a wrong code and a bad token alike", async () => {
    const { f, confirm, id, code } = await setup();
    const { user } = await seedUser(f);
    const answers = [];
    for (const attempt of [
      confirm({ id: f.users.newId(), code }),
      confirm({ id: user.id, code }),
      confirm({ id, code: otherCode(code) }),
      confirm({ token: "nonsense" }),
      confirm({ token: `${user.id}.${"A".repeat(43)}` }),
    ]) {
      const error = await domainErrorOf(attempt);
      answers.push({ code: error.code, message: error.message });
    }
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]?.code).toBe("INVALID_EMAIL_CODE");
    expect(answers[0]?.message).not.toMatch(/tries? left|last try/);
  });

  it("uses the code once: confirming again gets the same refusal", async () => {
    const { confirm, id, code } = await setup();
    await confirm({ id, code });
    expect((await domainErrorOf(confirm({ id, code }))).code).toBe("INVALID_EMAIL_CODE");
  });

  it("confirms once when the code is sent several times at once, with one notice", async () => {
    const { confirm, id, code, others } = await setup();
    const results = await Promise.allSettled([1, 2, 3].map(() => confirm({ id, code })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "INVALID_EMAIL_CODE" });
    expect(others()).toHaveLength(1);
  });

  it("counts wrong codes, then locks the code (same refusal), leaving the address", async () => {
    const { f, confirm, id, code } = await setup();
    const first = await domainErrorOf(confirm({ id, code: otherCode(code) }));
    for (let n = 2; n <= maxCodeAttempts; n++) {
      const error = await domainErrorOf(confirm({ id, code: otherCode(code) }));
      expect(error.message).toBe(first.message);
    }
    expect((await domainErrorOf(confirm({ id, code }))).message).toBe(first.message);
    expect((await storedUser(f, id)).email).toBe("old@example.com");
  });

  it("refuses an expired code and link with the same refusal", async () => {
    const { f, confirm, id, code, token } = await setup();
    vi.setSystemTime(start + codeLifetimeMinutes * 60_000);
    expect((await domainErrorOf(confirm({ id, code }))).code).toBe("INVALID_EMAIL_CODE");
    expect((await domainErrorOf(confirm({ token }))).code).toBe("INVALID_EMAIL_CODE");
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
    const { f, codes, deps, id, code, others } = await setup();
    const replacement = {
      ...codes.newCode({ lifetimeMinutes: codeLifetimeMinutes, userId: id }).state,
      new_email: "x@example.com",
      new_email_key: "x@example.com",
    };
    const confirm = createConfirmEmailChange({
      ...deps,
      users: {
        ...f.users,
        async findById(userId) {
          const found = await f.users.findById(userId);
          f.users.set(userId, { email_change: replacement }); // the newer request lands now
          return found;
        },
      },
    });
    expect((await domainErrorOf(confirm({ id, code }))).code).toBe("INVALID_EMAIL_CODE");
    expect(others()).toEqual([]);
    expect((await storedUser(f, id)).email).toBe("old@example.com");
  });

  // Was a bug: the reset links were deleted only after the address had changed.
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

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  activationCodes,
  codeIn,
  createFakes,
  domainErrorOf,
  failNext,
  otherCode,
  queuedFor,
  seedUser,
  single,
  storedUser,
  tokenIn,
} from "../../test/fakes";
import { hashCode } from "../crypto";
import { maxCodeAttempts } from "../one-time-codes";
import { createActivateUser } from "./activate-user";
import { createResendActivation, resendActivationMessage } from "./resend-activation";

const cooldownSeconds = 60;
const codeLifetimeMinutes = 30;
const start = new Date("2030-01-01T00:00:00Z").getTime();

async function setup() {
  const f = createFakes();
  const codes = activationCodes(f);
  const resend = createResendActivation({
    users: f.users,
    outbox: f.outbox,
    codes,
    codeLifetimeMinutes,
    activationUrl: "https://app.example.com/activate",
    cooldownSeconds,
  });
  const activate = createActivateUser({ events: f.events, users: f.users, codes });
  const { user: seeded } = await seedUser(f, {
    username: "pending",
    email: "pending@example.com",
    is_active: false,
  });
  const { code, state } = codes.newCode({ lifetimeMinutes: codeLifetimeMinutes, userId: seeded.id });
  f.users.set(seeded.id, { activation: state });
  const user = await storedUser(f, seeded.id);
  return { f, codes, resend, activate, user, code, state };
}

/** Moves the clock past the resend cooldown of a code sent now. */
const afterCooldown = () => vi.setSystemTime(Date.now() + cooldownSeconds * 1_000);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(start);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("resendActivation", () => {
  it("after the cooldown, emails a new code that works, and the old code dies", async () => {
    const { f, resend, activate, user, code } = await setup();
    afterCooldown();
    expect(await resend("pending")).toEqual({ message: resendActivationMessage });
    const stored = await storedUser(f, user.id);
    const message = single(queuedFor(f, user.id));
    expect(message).toMatchObject({ kind: "activation", ref: stored.activation?.code_id });
    expect(message.email.to).toBe("pending@example.com");
    const newCode = codeIn(message.email);
    expect(hashCode(f.keys.codeHashing, newCode)).toBe(stored.activation?.code_hash);
    expect(stored.activation?.expires_at.getTime()).toBe(Date.now() + codeLifetimeMinutes * 60_000);

    if (newCode !== code) {
      expect((await domainErrorOf(activate({ identifier: "pending", code }))).code).toBe(
        "INVALID_ACTIVATION_CODE",
      );
    }
    expect((await activate({ identifier: "pending", code: newCode })).is_active).toBe(true);
  });

  it("sends a one-click link that activates, and kills the old code's link", async () => {
    const { f, codes, resend, activate, user } = await setup();
    const oldToken = codes.newCode({ lifetimeMinutes: 1, userId: user.id }); // stand-in for the first email
    f.users.set(user.id, { activation: oldToken.state });
    afterCooldown();
    await resend("pending");
    const message = single(queuedFor(f, user.id));
    const token = tokenIn(message.email);
    expect(message.email.text).toContain("https://app.example.com/activate?token=");
    expect((await domainErrorOf(activate({ token: oldToken.token }))).code).toBe("INVALID_ACTIVATION_CODE");
    expect((await activate({ token })).is_active).toBe(true);
  });

  it("backs off: each resend of the day doubles the wait before the next", async () => {
    const { f, resend, user } = await setup();
    let wait = cooldownSeconds;
    for (let n = 1; n <= 4; n++) {
      vi.setSystemTime(Date.now() + wait * 1_000 - 1);
      await resend("pending");
      expect(queuedFor(f, user.id)).toHaveLength(n - 1);
      vi.setSystemTime(Date.now() + 1);
      await resend("pending");
      expect(queuedFor(f, user.id)).toHaveLength(n);
      expect((await storedUser(f, user.id)).activation?.resends).toBe(n);
      wait *= 2;
    }
  });

  it("within the cooldown sends nothing and keeps the code, answering the same", async () => {
    const { f, resend, activate, user, code } = await setup();
    vi.setSystemTime(start + cooldownSeconds * 1_000 - 1);
    expect(await resend("pending")).toEqual({ message: resendActivationMessage });
    expect(queuedFor(f, user.id)).toEqual([]);
    expect((await activate({ identifier: "pending", code })).is_active).toBe(true);
  });

  it("answers the same, sending nothing, for unknown and active accounts", async () => {
    const { f, resend } = await setup();
    await seedUser(f, { username: "active" });
    afterCooldown();
    expect(await resend("nobody")).toEqual({ message: resendActivationMessage });
    expect(await resend("active")).toEqual({ message: resendActivationMessage });
    expect(f.store.messages()).toEqual([]);
  });

  it("replaces a code once, however many resends arrive at once", async () => {
    const { f, resend, user } = await setup();
    afterCooldown();
    await Promise.all([1, 2, 3, 4].map(() => resend("pending")));
    const message = single(queuedFor(f, user.id));
    expect(message.ref).toBe((await storedUser(f, user.id)).activation?.code_id);
  });

  it("gives a locked-out user a fresh code with all its tries", async () => {
    const { f, resend, activate, user, code } = await setup();
    for (let n = 0; n < maxCodeAttempts; n++)
      await activate({ identifier: "pending", code: otherCode(code) }).catch(() => {});
    expect((await domainErrorOf(activate({ identifier: "pending", code }))).code).toBe(
      "INVALID_ACTIVATION_CODE",
    );
    afterCooldown();
    await resend("pending");
    const newCode = codeIn(single(queuedFor(f, user.id)).email);
    expect((await storedUser(f, user.id)).activation?.attempts).toBe(0);
    expect((await activate({ identifier: "pending", code: newCode })).is_active).toBe(true);
  });

  it("when the replacing write fails: no email stays queued and the next resend works", async () => {
    const { f, resend, activate, user, code, state } = await setup();
    afterCooldown();
    failNext(f.users, "replaceActivation");
    await expect(resend("pending")).rejects.toThrow("injected fault");
    expect(queuedFor(f, user.id)).toEqual([]);
    // the old code is still the live one until it is replaced ...
    expect((await storedUser(f, user.id)).activation?.code_id).toBe(state.code_id);
    // ... and the next resend replaces it
    await resend("pending");
    const newCode = codeIn(single(queuedFor(f, user.id)).email);
    if (newCode !== code) {
      expect((await domainErrorOf(activate({ identifier: "pending", code }))).code).toBe(
        "INVALID_ACTIVATION_CODE",
      );
    }
    expect((await activate({ identifier: "pending", code: newCode })).is_active).toBe(true);
  });

  it("discards the email when the user was activated meanwhile (the replace finds no code)", async () => {
    const { f, codes, user } = await setup();
    afterCooldown();
    const resend = createResendActivation({
      users: {
        ...f.users,
        async findByIdentifier(identifier) {
          const found = await f.users.findByIdentifier(identifier);
          f.users.set(user.id, { is_active: true, activation: null }); // activated now
          return found;
        },
      },
      outbox: f.outbox,
      codes,
      codeLifetimeMinutes,
      activationUrl: "https://app.example.com/activate",
      cooldownSeconds,
    });
    expect(await resend("pending")).toEqual({ message: resendActivationMessage });
    expect(queuedFor(f, user.id)).toEqual([]);
  });
});

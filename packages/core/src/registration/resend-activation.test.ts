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
    cooldownSeconds,
  });
  const activate = createActivateUser({ users: f.users, codes });
  const { code, state } = codes.newCode(codeLifetimeMinutes);
  const { user } = await seedUser(f, {
    username: "pending",
    email: "pending@example.com",
    is_active: false,
    activation: state,
  });
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

  it("within the cooldown sends nothing and keeps the code, answering the same", async () => {
    const { f, resend, activate, user, code } = await setup();
    vi.setSystemTime(start + cooldownSeconds * 1_000 - 1);
    expect(await resend("pending")).toEqual({ message: resendActivationMessage });
    expect(queuedFor(f, user.id)).toEqual([]);
    expect((await activate({ identifier: "pending", code })).is_active).toBe(true);
  });

  it("restarts the cooldown with each new code", async () => {
    const { f, resend, user } = await setup();
    afterCooldown();
    await resend("pending");
    vi.setSystemTime(Date.now() + cooldownSeconds * 1_000 - 1);
    await resend("pending");
    expect(queuedFor(f, user.id)).toHaveLength(1);
    vi.setSystemTime(Date.now() + 1);
    await resend("pending");
    expect(queuedFor(f, user.id)).toHaveLength(2);
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
      "ACTIVATION_CODE_LOCKED",
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
      cooldownSeconds,
    });
    expect(await resend("pending")).toEqual({ message: resendActivationMessage });
    expect(queuedFor(f, user.id)).toEqual([]);
  });
});

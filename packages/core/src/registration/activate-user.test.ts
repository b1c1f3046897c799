import { afterEach, describe, expect, it, vi } from "vitest";
import {
  activationCodes,
  createFakes,
  domainErrorOf,
  failNext,
  otherCode,
  seedUser,
  storedUser,
} from "../../test/fakes";
import type { DomainError } from "../errors";
import { maxCodeAttempts, maxCodeTriesPerDay } from "../one-time-codes";
import { createActivateUser } from "./activate-user";

async function setup() {
  const f = createFakes();
  const codes = activationCodes(f);
  const activate = createActivateUser({ events: f.events, users: f.users, codes });
  const id = f.users.newId();
  const { code, token, state } = codes.newCode({ lifetimeMinutes: 60, userId: id });
  await f.users.insert({
    id,
    username: "pending",
    first_name: "Pen",
    last_name: "Ding",
    email: "Pending@Example.com",
    password_hash: "hash:x",
    gender: "Other",
    role: "user",
    is_active: false,
    mfa_enabled: false,
    activation: state,
    mfa: null,
    email_change: null,
  });
  const user = await storedUser(f, id);
  return { f, codes, activate, user, code, token, state };
}

/** What a refusal looks like from outside: status code and message. */
const answer = (error: DomainError) => ({ code: error.code, message: error.message });

afterEach(() => {
  vi.useRealTimers();
});

describe("activateUser", () => {
  it("activates with the right code, by username or email in any case", async () => {
    for (const identifier of ["pending", "PENDING", "pending@example.com"]) {
      const { f, activate, user, code } = await setup();
      const activated = await activate({ identifier, code });
      expect(activated).toMatchObject({ id: user.id, is_active: true });
      expect(activated).not.toHaveProperty("password_hash");
      expect((await storedUser(f, user.id)).is_active).toBe(true);
    }
  });

  it("activates with the link's token alone", async () => {
    const { f, activate, user, token } = await setup();
    expect(await activate({ token })).toMatchObject({ id: user.id, is_active: true });
    expect((await storedUser(f, user.id)).is_active).toBe(true);
  });

  it("does not count forged link tokens against the code (their id part names any user)", async () => {
    const { f, activate, user, code } = await setup();
    for (let n = 0; n < 6; n++) await domainErrorOf(activate({ token: `${user.id}.${"A".repeat(43)}` }));
    expect((await storedUser(f, user.id)).activation?.attempts).toBe(0);
    expect(await activate({ identifier: user.username, code })).toMatchObject({ is_active: true });
  });

  it("answers unknown, pending, active and codeless accounts alike, with no tries left told", async () => {
    const { f, activate, code } = await setup();
    const wrong = otherCode(code);
    const { user: active } = await seedUser(f, { username: "active" });
    await seedUser(f, { username: "nocode", is_active: false, activation: null });
    const answers = [];
    for (const identifier of ["nobody", "pending", "active", "nocode"])
      answers.push(answer(await domainErrorOf(activate({ identifier, code: wrong }))));
    answers.push(answer(await domainErrorOf(activate({ token: "not-a-token" }))));
    answers.push(answer(await domainErrorOf(activate({ token: `${active.id}.${"A".repeat(43)}` }))));
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]?.code).toBe("INVALID_ACTIVATION_CODE");
    expect(answers[0]?.message).not.toMatch(/tries? left|last try/);
  });

  it("answers the same for locked and expired codes and over the daily bound", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const reference = answer(
      await domainErrorOf((await setup()).activate({ identifier: "nobody", code: "123456" })),
    );
    const locked = await setup();
    for (let n = 0; n < maxCodeAttempts; n++)
      await domainErrorOf(locked.activate({ identifier: "pending", code: otherCode(locked.code) }));
    expect(
      answer(await domainErrorOf(locked.activate({ identifier: "pending", code: locked.code }))),
    ).toEqual(reference);
    const expired = await setup();
    vi.setSystemTime(expired.state.expires_at);
    expect(
      answer(await domainErrorOf(expired.activate({ identifier: "pending", code: expired.code }))),
    ).toEqual(reference);
    expect(answer(await domainErrorOf(expired.activate({ token: expired.token })))).toEqual(reference);
  });

  it("lets the link activate whatever wrong codes others sent (code locked, daily bound reached)", async () => {
    const { f, codes, activate, user, code, token } = await setup();
    for (let n = 0; n < maxCodeAttempts; n++)
      await domainErrorOf(activate({ identifier: "pending", code: otherCode(code) }));
    // Others burn the rest of the day's tries on fresh codes.
    for (let n = maxCodeAttempts; n < maxCodeTriesPerDay; n++) {
      const fresh = codes.newCode({ lifetimeMinutes: 60, userId: user.id });
      await codes.check({ userId: user.id, state: fresh.state, code: otherCode(fresh.code) });
    }
    expect((await activate({ token })).is_active).toBe(true);
    expect((await storedUser(f, user.id)).is_active).toBe(true);
  });

  it("answers the right code or link of an active account with the user again, while it lives", async () => {
    const { f, activate, user, code, token } = await setup();
    await activate({ identifier: "pending", code });
    expect(f.events.recorded).toEqual([
      { type: "user.activated", userId: user.id, details: { method: "code" } },
    ]);
    expect(await activate({ identifier: "pending", code })).toMatchObject({ id: user.id, is_active: true });
    expect(await activate({ token })).toMatchObject({ id: user.id, is_active: true });
    expect((await domainErrorOf(activate({ identifier: "pending", code: otherCode(code) }))).code).toBe(
      "INVALID_ACTIVATION_CODE",
    );
    expect(f.events.types()).toEqual(["user.activated"]); // answered again, not activated again
  });

  it("activates once when the right code is sent several times at once", async () => {
    const { f, activate, code, user } = await setup();
    const activations: string[] = [];
    const users = f.users;
    const original = users.activate;
    users.activate = async (input) => {
      activations.push(input.id);
      return original(input);
    };
    const results = await Promise.allSettled([1, 2, 3].map(() => activate({ identifier: "pending", code })));
    expect(activations).toEqual([user.id]);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "INVALID_ACTIVATION_CODE" });
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
  });

  it("locks the code under a burst of concurrent guesses: at most the allowed tries are judged", async () => {
    const { f, activate, user, code } = await setup();
    const wrong = otherCode(code);
    await Promise.allSettled(
      Array.from({ length: 4 * maxCodeAttempts }, () => activate({ identifier: "pending", code: wrong })),
    );
    expect((await storedUser(f, user.id)).activation?.attempts).toBe(maxCodeAttempts);
    expect((await domainErrorOf(activate({ identifier: "pending", code }))).code).toBe(
      "INVALID_ACTIVATION_CODE",
    );
  });

  it("lets the same code work again when the activation write fails", async () => {
    const { f, activate, user, code, token } = await setup();
    failNext(f.users, "activate");
    await expect(activate({ identifier: "pending", code })).rejects.toThrow("injected fault");
    expect((await storedUser(f, user.id)).is_active).toBe(false);
    failNext(f.users, "activate");
    await expect(activate({ token })).rejects.toThrow("injected fault");
    expect(f.events.recorded).toEqual([]);
    expect((await activate({ token })).is_active).toBe(true);
    expect(f.events.recorded).toEqual([
      { type: "user.activated", userId: user.id, details: { method: "link" } },
    ]);
  });

  it("refuses a code replaced (by a resend) between reading the user and activating", async () => {
    const { f, codes, user, code } = await setup();
    const replacement = codes.newCode({ lifetimeMinutes: 60, userId: user.id }).state;
    const activate = createActivateUser({
      events: f.events,
      users: {
        ...f.users,
        async findByIdentifier(identifier) {
          const found = await f.users.findByIdentifier(identifier);
          f.users.set(user.id, { activation: replacement }); // the resend lands now
          return found;
        },
      },
      codes,
    });
    expect((await domainErrorOf(activate({ identifier: "pending", code }))).code).toBe(
      "INVALID_ACTIVATION_CODE",
    );
    expect((await storedUser(f, user.id)).is_active).toBe(false);
  });
});

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
import { maxCodeAttempts } from "../one-time-codes";
import { createActivateUser } from "./activate-user";

async function setup() {
  const f = createFakes();
  const codes = activationCodes(f);
  const activate = createActivateUser({ users: f.users, codes });
  const { code, state } = codes.newCode(60);
  const { user } = await seedUser(f, {
    username: "pending",
    email: "Pending@Example.com",
    is_active: false,
    activation: state,
  });
  return { f, codes, activate, user, code, state };
}

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
      const stored = await storedUser(f, user.id);
      expect(stored.is_active).toBe(true);
      expect(stored.activation).toBeNull();
    }
  });

  it("uses the code once: activating again says USER_ALREADY_ACTIVE", async () => {
    const { activate, code } = await setup();
    await activate({ identifier: "pending", code });
    expect((await domainErrorOf(activate({ identifier: "pending", code }))).code).toBe("USER_ALREADY_ACTIVE");
  });

  it("activates once when the right code is sent several times at once", async () => {
    const { activate, code } = await setup();
    const results = await Promise.allSettled([1, 2, 3].map(() => activate({ identifier: "pending", code })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "USER_ALREADY_ACTIVE" });
  });

  it("answers INVALID_ACTIVATION_CODE for an unknown identifier and for a user without a code", async () => {
    const { f, activate, code } = await setup();
    expect((await domainErrorOf(activate({ identifier: "nobody", code }))).code).toBe(
      "INVALID_ACTIVATION_CODE",
    );
    await seedUser(f, { username: "nocode", is_active: false, activation: null });
    expect((await domainErrorOf(activate({ identifier: "nocode", code }))).code).toBe(
      "INVALID_ACTIVATION_CODE",
    );
  });

  it("answers USER_ALREADY_ACTIVE for an active user, whatever the code", async () => {
    const { f, activate, code } = await setup();
    await seedUser(f, { username: "active" });
    expect((await domainErrorOf(activate({ identifier: "active", code }))).code).toBe("USER_ALREADY_ACTIVE");
  });

  it("counts wrong codes, telling the tries left, and locks the code after the last", async () => {
    const { f, activate, user, code } = await setup();
    const wrong = otherCode(code);
    for (let n = 1; n <= maxCodeAttempts; n++) {
      const error = await domainErrorOf(activate({ identifier: "pending", code: wrong }));
      expect(error.code).toBe("INVALID_ACTIVATION_CODE");
      const left = maxCodeAttempts - n;
      expect(error.message).toContain(left > 0 ? `${left} ${left === 1 ? "try" : "tries"} left` : "last try");
      expect((await storedUser(f, user.id)).activation?.attempts).toBe(n);
    }
    expect((await domainErrorOf(activate({ identifier: "pending", code }))).code).toBe(
      "ACTIVATION_CODE_LOCKED",
    );
    expect((await storedUser(f, user.id)).is_active).toBe(false);
  });

  it("locks the code under a burst of concurrent guesses: at most the allowed tries are judged", async () => {
    const { activate, code } = await setup();
    const wrong = otherCode(code);
    const results = await Promise.allSettled(
      Array.from({ length: 4 * maxCodeAttempts }, () => activate({ identifier: "pending", code: wrong })),
    );
    const codes = results.map((r) => (r.status === "rejected" ? (r.reason as { code?: string }).code : "ok"));
    expect(codes.filter((c) => c === "INVALID_ACTIVATION_CODE")).toHaveLength(maxCodeAttempts);
    expect(codes.filter((c) => c === "ACTIVATION_CODE_LOCKED")).toHaveLength(3 * maxCodeAttempts);
    expect((await domainErrorOf(activate({ identifier: "pending", code }))).code).toBe(
      "ACTIVATION_CODE_LOCKED",
    );
  });

  it("refuses an expired code with ACTIVATION_CODE_EXPIRED", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const { f, activate, user, code, state } = await setup();
    vi.setSystemTime(state.expires_at);
    expect((await domainErrorOf(activate({ identifier: "pending", code }))).code).toBe(
      "ACTIVATION_CODE_EXPIRED",
    );
    expect((await storedUser(f, user.id)).is_active).toBe(false);
  });

  it("lets the same code work again when the activation write fails", async () => {
    const { f, activate, user, code } = await setup();
    failNext(f.users, "activate");
    await expect(activate({ identifier: "pending", code })).rejects.toThrow("injected fault");
    expect((await storedUser(f, user.id)).is_active).toBe(false);
    expect((await activate({ identifier: "pending", code })).is_active).toBe(true);
  });

  it("refuses a code replaced (by a resend) between reading the user and activating", async () => {
    const { f, codes, user, code } = await setup();
    const replacement = codes.newCode(60).state;
    const activate = createActivateUser({
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

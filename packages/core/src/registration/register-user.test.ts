import { describe, expect, it, vi } from "vitest";
import {
  activationCodes,
  codeIn,
  createFakes,
  domainErrorOf,
  failNext,
  queuedFor,
  seedUser,
  single,
  storedUser,
} from "../../test/fakes";
import { hashCode } from "../crypto";
import { takenError } from "../errors";
import type { CreateUserInput } from "../users/schemas";
import { createActivateUser } from "./activate-user";
import { createRegisterUser } from "./register-user";

const codeLifetimeMinutes = 60;

const input = (overrides: Partial<CreateUserInput> = {}): CreateUserInput => ({
  username: "johndoe",
  first_name: "John",
  last_name: "Doe",
  email: "John.Doe@example.com",
  password: "Tulip-Kettle-Orbit-42",
  password_confirmation: "Tulip-Kettle-Orbit-42",
  gender: "Male",
  role: "user",
  ...overrides,
});

function setup() {
  const f = createFakes();
  const codes = activationCodes(f);
  const register = createRegisterUser({
    events: f.events,
    claims: f.claims,
    users: f.users,
    outbox: f.outbox,
    hasher: f.hasher,
    policy: f.policy,
    codes,
    codeLifetimeMinutes,
    activationUrl: "https://app.example.com/activate",
  });
  return { f, codes, register };
}

describe("registerUser", () => {
  it("creates an inactive user with the password hashed, answering the public view only", async () => {
    const { f, register } = setup();
    const user = await register(input());
    expect(user).toMatchObject({
      username: "johndoe",
      email: "John.Doe@example.com",
      is_active: false,
      role: "user",
    });
    expect(user).not.toHaveProperty("password_hash");
    expect(user).not.toHaveProperty("activation");
    const stored = await storedUser(f, user.id);
    expect(stored.password_hash).toBe("hash:Tulip-Kettle-Orbit-42");
    expect(stored.is_active).toBe(false);
    expect(stored.mfa_enabled).toBe(false);
  });

  it("queues one activation email to the new address whose code is the stored one", async () => {
    const { f, register } = setup();
    const user = await register(input());
    const stored = await storedUser(f, user.id);
    const message = single(queuedFor(f, user.id));
    expect(message.kind).toBe("activation");
    expect(message.email.to).toBe("John.Doe@example.com");
    expect(message.ref).toBe(stored.activation?.code_id);
    expect(message.email.text).toContain("Hello John");
    expect(message.email.text).toContain(`${codeLifetimeMinutes} minutes`);
    expect(hashCode(f.keys.codeHashing, codeIn(message.email))).toBe(stored.activation?.code_hash);
  });

  it("stores the user's locale and writes the activation email in it", async () => {
    const { f, register } = setup();
    const user = await register(input({ locale: "de-AT" }));
    expect(user.locale).toBe("de-AT");
    expect((await storedUser(f, user.id)).locale).toBe("de-AT");
    const message = single(queuedFor(f, user.id));
    expect(message.email.subject).toMatch(/^Ihr Aktivierungscode: \d{6}$/);
    expect(message.email.text).toContain("Hallo John,");
  });

  it("wakes the email worker once the user is written", async () => {
    const { f, register } = setup();
    const woken = vi.fn();
    f.outbox.onQueued(woken);
    await register(input());
    expect(woken).toHaveBeenCalledTimes(1);
  });

  it("lets the emailed code activate the account", async () => {
    const { f, codes, register } = setup();
    const user = await register(input());
    const code = codeIn(single(queuedFor(f, user.id)).email);
    const activated = await createActivateUser({ events: f.events, users: f.users, codes })({
      identifier: "johndoe",
      code,
    });
    expect(activated.is_active).toBe(true);
  });

  it.each([
    ["USERNAME_TAKEN", { username: "JohnDoe" }],
    ["EMAIL_TAKEN", { email: "john.doe@EXAMPLE.com" }],
  ] as const)(
    "refuses a taken %s (ignoring case) before hashing or queuing anything",
    async (code, clash) => {
      const { f, register } = setup();
      await seedUser(f, { username: "johndoe", email: "john.doe@example.com" });
      const hashes = f.hasher.calls.hash;
      const error = await domainErrorOf(
        register(input({ username: "someone", email: "someone@example.com", ...clash })),
      );
      expect(error.code).toBe(code);
      expect(f.hasher.calls.hash).toBe(hashes);
      expect(f.store.messages()).toEqual([]);
      expect(f.users.all()).toHaveLength(1);
    },
  );

  it.each([
    ["a common password", "Password1!"],
    ["the user's own name and birth year", "JohnDoe1990!"],
  ])(
    "refuses %s with WEAK_PASSWORD and feedback, before hashing or writing anything",
    async (_, password) => {
      const { f, register } = setup();
      const error = await domainErrorOf(register(input({ password, password_confirmation: password })));
      expect(error.code).toBe("WEAK_PASSWORD");
      expect(error.issues.length).toBeGreaterThan(0);
      expect(f.hasher.calls.hash).toBe(0);
      expect(f.users.all()).toEqual([]);
      expect(f.store.messages()).toEqual([]);
    },
  );

  it("writes and queues nothing when the hasher is busy (SERVICE_BUSY)", async () => {
    const { f, register } = setup();
    f.hasher.busy = true;
    // Refused before the policy's zxcvbn check: a weak password gets SERVICE_BUSY, not WEAK_PASSWORD.
    const error = await domainErrorOf(
      register(input({ password: "password", password_confirmation: "password" })),
    );
    expect(error.code).toBe("SERVICE_BUSY");
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(f.users.all()).toEqual([]);
    expect(f.store.messages()).toEqual([]);
  });

  it("leaves no queued email (and wakes nobody) when the user insert fails", async () => {
    const { f, register } = setup();
    const woken = vi.fn();
    f.outbox.onQueued(woken);
    failNext(f.users, "insert");
    await expect(register(input())).rejects.toThrow("injected fault");
    expect(f.users.all()).toEqual([]);
    expect(f.store.messages()).toEqual([]);
    expect(woken).not.toHaveBeenCalled();
    expect(f.events.recorded).toEqual([]); // no event for what did not happen
    // and the next try goes through
    const created = await register(input());
    expect(f.store.messages()).toHaveLength(1);
    expect(f.events.recorded).toEqual([{ type: "user.registered", userId: created.id }]);
  });

  it("leaves no queued email when a concurrent registration takes the username at insert", async () => {
    const { f, register } = setup();
    failNext(f.users, "insert", takenError("USERNAME_TAKEN"));
    expect((await domainErrorOf(register(input()))).code).toBe("USERNAME_TAKEN");
    expect(f.store.messages()).toEqual([]);
  });
});

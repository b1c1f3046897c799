import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  codeIn,
  createFakes,
  dailyCodeTries,
  domainErrorOf,
  otherCode,
  queuedFor,
  seedMfa,
  seedUser,
  tokenIn,
  totpIn,
  wrongTotp,
} from "../../test/fakes";
import { loginCodesFor } from "../../test/login-codes";
import { claimKeys } from "../claim-keys";
import { maxCodeTriesPerDay } from "../one-time-codes";

const start = new Date("2030-01-01T00:00:00Z").getTime();
const ip = { clientIp: "203.0.113.1" };

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(start);
});
afterEach(() => {
  vi.useRealTimers();
});

async function setup(options: Parameters<typeof loginCodesFor>[1] = {}) {
  const f = createFakes();
  const codes = loginCodesFor(f, options);
  const { user } = await seedUser(f, { username: "alice", email: "alice@example.com" });
  /** Requests a code for alice and reads the email's code and token. */
  const emailed = async () => {
    await codes.request("alice");
    const email = queuedFor(f, user.id).at(-1)?.email;
    if (!email) throw new Error("no login code email");
    return { code: codeIn(email), token: tokenIn(email) };
  };
  return { f, ...codes, user, emailed };
}

describe("verifyLoginCode", () => {
  it("signs in with the code once, answering the public user, and records login.succeeded", async () => {
    const { verify, user, emailed, events } = await setup();
    const { code } = await emailed();
    const signedIn = await verify({ identifier: "ALICE", code }, ip);
    expect(signedIn).toMatchObject({ id: user.id, username: "alice", is_active: true });
    expect(signedIn).not.toHaveProperty("password_hash");
    expect(events.at(-1)).toEqual({
      type: "login.succeeded",
      userId: user.id,
      details: { method: "login_code" },
    });
    expect((await domainErrorOf(verify({ identifier: "alice", code }, ip))).code).toBe("INVALID_LOGIN_CODE");
  });

  it("signs in with the link once; its code is spent with it", async () => {
    const { verify, user, emailed } = await setup();
    const { code, token } = await emailed();
    expect(await verify({ token }, ip)).toMatchObject({ id: user.id });
    expect((await domainErrorOf(verify({ token }, ip))).code).toBe("INVALID_LOGIN_CODE");
    expect((await domainErrorOf(verify({ identifier: "alice", code }, ip))).code).toBe("INVALID_LOGIN_CODE");
  });

  it("signs in once when the same code is sent twice at once", async () => {
    const { verify, emailed } = await setup();
    const { code } = await emailed();
    const outcomes = await Promise.allSettled([
      verify({ identifier: "alice", code }, ip),
      verify({ identifier: "alice", code }, ip),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
  });

  it("answers every refusal the same: unknown identifier, no code, wrong, expired, forged link", async () => {
    const { f, verify, emailed } = await setup();
    await seedUser(f, { username: "bob" });
    const { code, token } = await emailed();
    const refusals = [
      verify({ identifier: "nobody", code }, ip),
      verify({ identifier: "bob", code }, ip),
      verify({ identifier: "alice", code: otherCode(code) }, ip),
      verify({ token: `${token.slice(0, -2)}xx` }, ip),
      verify({ token: "not-a-token" }, ip),
    ];
    for (const refusal of refusals) {
      const error = await domainErrorOf(refusal);
      expect(error.code).toBe("INVALID_LOGIN_CODE");
      expect(error.message).toMatch(/wrong, expired or used/);
    }
    vi.setSystemTime(start + 10 * 60_000 + 1);
    expect((await domainErrorOf(verify({ identifier: "alice", code }, ip))).code).toBe("INVALID_LOGIN_CODE");
    expect((await domainErrorOf(verify({ token }, ip))).code).toBe("INVALID_LOGIN_CODE");
  });

  it("does the same store work for a wrong code whatever the identifier: no timing oracle of active accounts", async () => {
    const { f, verify, emailed } = await setup();
    await seedUser(f, { username: "bob" }); // active, never asked for a code
    await seedUser(f, { username: "carol", is_active: false });
    const { code } = await emailed();
    const claim = vi.spyOn(f.claims, "claim");
    const find = vi.spyOn(f.locks, "find");
    /** Claims and lock reads of one wrong guess (each is a database round trip on the server). */
    const workOf = async (identifier: string) => {
      claim.mockClear();
      find.mockClear();
      expect((await domainErrorOf(verify({ identifier, code: otherCode(code) }, ip))).code).toBe(
        "INVALID_LOGIN_CODE",
      );
      return { claims: claim.mock.calls.length, reads: find.mock.calls.length };
    };
    // An active account with a live code, the attacker having just asked for it:
    const active = await workOf("alice");
    for (const identifier of ["nobody", "bob", "carol"])
      expect(await workOf(identifier), identifier).toEqual(active);
    // And once alice's code has expired, she looks like anybody else again.
    // (The same number of earlier guesses: a throttle's cost grows with the slots taken.)
    vi.setSystemTime(start + 10 * 60_000 + 1);
    await workOf("dave");
    expect(await workOf("alice")).toEqual(await workOf("dave"));
  });

  it("refuses a code once the account's address changed, or the account is no longer active", async () => {
    const { f, verify, user, emailed } = await setup();
    const { code, token } = await emailed();
    f.users.set(user.id, { email: "new@example.com", email_key: "new@example.com" });
    expect((await domainErrorOf(verify({ token }, ip))).code).toBe("INVALID_LOGIN_CODE");
    f.users.set(user.id, { email: "alice@example.com", email_key: "alice@example.com", is_active: false });
    expect((await domainErrorOf(verify({ identifier: "alice", code }, ip))).code).toBe("INVALID_LOGIN_CODE");
  });

  it("gives a code 5 tries: after 4 wrong ones the right one still works, after 5 it does not", async () => {
    const { verify, emailed } = await setup();
    const first = await emailed();
    for (let i = 1; i <= 4; i++)
      await domainErrorOf(verify({ identifier: "alice", code: otherCode(first.code) }, ip));
    expect(await verify({ identifier: "alice", code: first.code }, ip)).toBeDefined();
    vi.setSystemTime(start + 61_000);
    const second = await emailed();
    for (let i = 1; i <= 5; i++)
      await domainErrorOf(verify({ identifier: "alice", code: otherCode(second.code) }, ip));
    expect((await domainErrorOf(verify({ identifier: "alice", code: second.code }, ip))).code).toBe(
      "INVALID_LOGIN_CODE",
    );
    // The link takes no try: guessing the code cannot keep the owner out.
    expect(await verify({ token: second.token }, ip)).toBeDefined();
  });

  it("bounds wrong codes per day for known and unknown identifiers alike, without touching other codes' bound", async () => {
    const { f, verify, user, emailed } = await setup();
    const { code, token } = await emailed();
    for (const identifier of ["alice", "ghost"]) {
      for (let i = 0; i < maxCodeTriesPerDay; i++) {
        const error = await domainErrorOf(verify({ identifier, code: otherCode(code) }, ip));
        expect(error.code).toBe("INVALID_LOGIN_CODE");
      }
      const limited = await domainErrorOf(verify({ identifier, code }, ip));
      expect(limited.code).toBe("TOO_MANY_ATTEMPTS");
      expect(limited.retryAfterSeconds).toBeGreaterThan(0);
    }
    // Activation and email-change codes keep their whole daily bound.
    expect((await dailyCodeTries(f).acquire(claimKeys.account(user.id))).retryAfter).toBe(0);
    expect(await verify({ token }, ip)).toMatchObject({ id: user.id });
  });

  it("asks MFA users for the second factor after a right code, keeping the code usable until it is right", async () => {
    const { f, verify, user, emailed } = await setup();
    const { secret } = await seedMfa(f, user.id);
    const { code, token } = await emailed();
    expect((await domainErrorOf(verify({ identifier: "alice", code: otherCode(code) }, ip))).code).toBe(
      "INVALID_LOGIN_CODE",
    );
    expect((await domainErrorOf(verify({ identifier: "alice", code }, ip))).code).toBe("MFA_REQUIRED");
    expect((await domainErrorOf(verify({ token, totp_code: await wrongTotp(secret) }, ip))).code).toBe(
      "INVALID_MFA_CODE",
    );
    expect(await verify({ token, totp_code: await totpIn(secret) }, ip)).toMatchObject({ mfa_enabled: true });
    expect((await domainErrorOf(verify({ token, totp_code: await totpIn(secret, 1) }, ip))).code).toBe(
      "INVALID_LOGIN_CODE",
    );
  });

  it("throttles failures per client network; a success gives its slot back", async () => {
    const { verify, emailed } = await setup({ ipLimit: 2 });
    const { code } = await emailed();
    await domainErrorOf(verify({ identifier: "ghost", code }, ip));
    expect(await verify({ identifier: "alice", code }, ip)).toBeDefined();
    await domainErrorOf(verify({ identifier: "ghost", code }, ip));
    expect((await domainErrorOf(verify({ identifier: "ghost", code }, ip))).code).toBe("TOO_MANY_ATTEMPTS");
    expect(
      (await domainErrorOf(verify({ identifier: "ghost", code }, { clientIp: "198.51.100.2" }))).code,
    ).toBe("INVALID_LOGIN_CODE");
  });

  it("answers LOGIN_CODES_DISABLED when switched off", async () => {
    const { verify } = await setup({ enabled: false });
    expect((await domainErrorOf(verify({ identifier: "alice", code: "123456" }, ip))).code).toBe(
      "LOGIN_CODES_DISABLED",
    );
    expect((await domainErrorOf(verify({ token: "x" }, ip))).code).toBe("LOGIN_CODES_DISABLED");
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  codeIn,
  createFakes,
  domainErrorOf,
  failNext,
  queuedFor,
  seedUser,
  single,
  storedUser,
  tokenIn,
} from "../../test/fakes";
import { loginCodeOptions, loginCodesFor } from "../../test/login-codes";
import { loginCodeRequestedMessage } from "./schemas";

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
  const { user } = await seedUser(f, { username: "alice", email: "Alice@Example.com", first_name: "Alice" });
  return { f, ...codes, user };
}

describe("requestLoginCode", () => {
  it("emails an active account a 6-digit code and a link, storing only keyed hashes", async () => {
    const { f, request, user, events } = await setup();
    expect(await request("alice")).toEqual({ message: loginCodeRequestedMessage });
    const message = single(queuedFor(f, user.id));
    expect(message.kind).toBe("login-code");
    expect(message.email.to).toBe("Alice@Example.com");
    expect(message.email.text).toContain(`${loginCodeOptions.expirationMinutes} minutes`);
    const code = codeIn(message.email);
    const token = tokenIn(message.email);
    const stored = (await storedUser(f, user.id)).login_code;
    expect(stored).toMatchObject({ email_key: "alice@example.com", attempts: 0, resends: 0 });
    expect(stored?.expires_at.getTime()).toBe(start + 10 * 60_000);
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(f.keys.matches(code, stored?.code_hash ?? "")).toBe(true);
    expect(events).toEqual([{ type: "login_code.requested", userId: user.id }]);
  });

  it("answers unknown and inactive identifiers the same, and emails nobody", async () => {
    const { f, request } = await setup();
    const { user: pending } = await seedUser(f, { is_active: false });
    const answers = [await request("nobody@example.com"), await request(pending.username)];
    for (const answer of answers) expect(answer).toEqual({ message: loginCodeRequestedMessage });
    expect(f.store.messages()).toEqual([]);
    expect((await storedUser(f, pending.id)).login_code).toBeNull();
  });

  it("sends nothing new within the cooldown, then replaces the code (backing off with each of the day)", async () => {
    const { f, request, user } = await setup();
    await request("alice");
    const first = (await storedUser(f, user.id)).login_code;
    vi.setSystemTime(start + 30_000);
    await request("alice");
    expect(queuedFor(f, user.id)).toHaveLength(1);
    vi.setSystemTime(start + 61_000);
    await request("alice");
    const second = (await storedUser(f, user.id)).login_code;
    expect(second?.code_id).not.toBe(first?.code_id);
    expect(second?.resends).toBe(1);
    vi.setSystemTime(start + 61_000 + 61_000);
    await request("alice");
    expect((await storedUser(f, user.id)).login_code?.code_id).toBe(second?.code_id); // now 120 s
    expect(queuedFor(f, user.id)).toHaveLength(2);
  });

  it("sends one code when two requests race (one claim per replaced code)", async () => {
    const { f, requestLoginCode, user } = await setup();
    await Promise.all([requestLoginCode("alice", ip), requestLoginCode("alice", ip)]);
    await Promise.allSettled(f.background.splice(0));
    expect(queuedFor(f, user.id)).toHaveLength(1);
  });

  it("queues no email, and lets the next request try again, when storing the code fails", async () => {
    const { f, request, user } = await setup();
    failNext(f.users, "replaceLoginCode");
    await expect(request("alice")).rejects.toThrow("injected fault");
    expect(queuedFor(f, user.id)).toEqual([]);
    await request("alice");
    expect(queuedFor(f, user.id)).toHaveLength(1);
  });

  it("throttles requests per client network", async () => {
    const { requestLoginCode } = await setup({ ipLimit: 2 });
    await requestLoginCode("x", ip);
    await requestLoginCode("y", ip);
    const refused = await domainErrorOf(requestLoginCode("z", ip));
    expect(refused.code).toBe("TOO_MANY_ATTEMPTS");
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    await expect(requestLoginCode("z", { clientIp: "198.51.100.1" })).resolves.toBeDefined();
  });

  it("answers LOGIN_CODES_DISABLED when switched off", async () => {
    const { requestLoginCode } = await setup({ enabled: false });
    expect((await domainErrorOf(requestLoginCode("alice", ip))).code).toBe("LOGIN_CODES_DISABLED");
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createFakes,
  failNext,
  queuedFor,
  runInBackgroundOf,
  seedUser,
  settleBackground,
  single,
  storedUser,
  tokenIn,
} from "../../test/fakes";
import { hashCode } from "../crypto";
import type { RunInBackground } from "../ports";
import { createForgotPassword } from "./forgot-password";
import { forgotPasswordMessage } from "./schemas";

const reset = { url: "https://app.example.com/reset-password", expirationMinutes: 30, cooldownSeconds: 120 };
const start = new Date("2030-01-01T00:00:00Z").getTime();

async function setup(runInBackground?: RunInBackground) {
  const f = createFakes();
  const forgot = createForgotPassword({
    events: f.events,
    users: f.users,
    resetTokens: f.resetTokens,
    outbox: f.outbox,
    claims: f.claims,
    keys: f.keys,
    reset,
    runInBackground: runInBackground ?? runInBackgroundOf(f),
  });
  const { user } = await seedUser(f, { username: "alice", email: "Alice@Example.com", first_name: "Alice" });
  /** Asks for a link and waits for the background work; fails the test if that work failed. */
  const request = async (identifier: string) => {
    const answer = await forgot(identifier);
    for (const outcome of await settleBackground(f)) if (outcome.status === "rejected") throw outcome.reason;
    return answer;
  };
  return { f, forgot, request, user };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(start);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("forgotPassword", () => {
  it("emails the account's address a link whose token is stored only as a keyed hash", async () => {
    const { f, request, user } = await setup();
    expect(await request("alice")).toEqual({ message: forgotPasswordMessage });
    const message = single(queuedFor(f, user.id));
    expect(message.kind).toBe("password-reset");
    expect(message.email.to).toBe("Alice@Example.com");
    expect(message.email.text).toContain("Hello Alice");
    expect(message.email.text).toContain(`${reset.url}?token=`);
    expect(message.email.text).toContain(`${reset.expirationMinutes} minutes`);
    const token = tokenIn(message.email);
    const stored = single(f.resetTokens.all());
    expect(stored).toMatchObject({ user_id: user.id, token_hash: hashCode(f.keys.codeHashing, token) });
    expect(JSON.stringify(f.resetTokens.all())).not.toContain(token);
    expect(stored.expires_at.getTime()).toBe(start + reset.expirationMinutes * 60_000);
    expect((await storedUser(f, user.id)).reset_requested_at?.getTime()).toBe(start);
  });

  it("finds the account by email too, in any case", async () => {
    const { f, request, user } = await setup();
    await request("ALICE@example.COM");
    expect(queuedFor(f, user.id)).toHaveLength(1);
  });

  it("answers an unknown identifier the same, sending and storing nothing", async () => {
    const { f, request } = await setup();
    expect(await request("nobody@example.com")).toEqual({ message: forgotPasswordMessage });
    expect(f.store.messages()).toEqual([]);
    expect(f.resetTokens.all()).toEqual([]);
  });

  it("answers before the email is prepared (its timing tells nothing)", async () => {
    const deferred: (() => Promise<void>)[] = [];
    const { f, forgot, user } = await setup((task) => void deferred.push(task));
    expect(await forgot("alice")).toEqual({ message: forgotPasswordMessage });
    expect(f.store.messages()).toEqual([]);
    expect(f.resetTokens.all()).toEqual([]);
    await single(deferred)();
    expect(queuedFor(f, user.id)).toHaveLength(1);
  });

  it("sends at most one link per cooldown", async () => {
    const { f, request, user } = await setup();
    await request("alice");
    vi.setSystemTime(start + reset.cooldownSeconds * 1_000 - 1);
    await request("alice");
    expect(queuedFor(f, user.id)).toHaveLength(1);
    expect(f.resetTokens.all()).toHaveLength(1);
    vi.setSystemTime(start + reset.cooldownSeconds * 1_000);
    await request("alice");
    expect(queuedFor(f, user.id)).toHaveLength(2);
    expect(f.resetTokens.all()).toHaveLength(2);
  });

  it("sends one link for a burst of simultaneous requests", async () => {
    const { f, forgot, user } = await setup();
    await Promise.all([1, 2, 3, 4].map(() => forgot("alice")));
    await settleBackground(f);
    expect(queuedFor(f, user.id)).toHaveLength(1);
    expect(f.resetTokens.all()).toHaveLength(1);
  });

  it("when recording the cooldown fails: the link still goes out, and the next request is not held back", async () => {
    const { f, forgot, request, user } = await setup();
    failNext(f.users, "setResetRequestedAt");
    await forgot("alice");
    expect((await settleBackground(f)).map((o) => o.status)).toEqual(["rejected"]);
    const token = tokenIn(single(queuedFor(f, user.id)).email);
    expect(f.resetTokens.all().map((t) => t.token_hash)).toEqual([hashCode(f.keys.codeHashing, token)]);
    await request("alice");
    expect(queuedFor(f, user.id)).toHaveLength(2);
  });

  it("when queuing the email fails: the next request sends at once", async () => {
    const { f, forgot, request, user } = await setup();
    failNext(f.store, "enqueue");
    await forgot("alice");
    expect((await settleBackground(f)).map((o) => o.status)).toEqual(["rejected"]);
    expect(queuedFor(f, user.id)).toEqual([]);
    await request("alice");
    expect(queuedFor(f, user.id)).toHaveLength(1);
  });

  it("when storing the token fails: nothing is queued and the next request sends at once", async () => {
    const { f, forgot, request, user } = await setup();
    failNext(f.resetTokens, "create");
    await forgot("alice");
    expect((await settleBackground(f)).map((o) => o.status)).toEqual(["rejected"]);
    expect(queuedFor(f, user.id)).toEqual([]);
    await request("alice");
    expect(queuedFor(f, user.id)).toHaveLength(1);
  });
});

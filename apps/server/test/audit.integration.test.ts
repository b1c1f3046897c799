import { describe, expect, it } from "vitest";
import {
  codeAt,
  createActiveUser,
  emailChangeCode,
  enableMfa,
  json,
  patch,
  post,
  startTestServer,
  type TestServer,
  withinOneThrottleWindow,
} from "./harness";

type AuditEvent = {
  id: string;
  type: string;
  user_id: string | null;
  actor: string | null;
  client_ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  timestamp: string;
};
type Page = { items: AuditEvent[]; next_cursor: string | null };

/** Every event of a user, oldest first, read through the API page by page. */
export async function eventsOf(server: TestServer, userId: string, pageSize = 100): Promise<AuditEvent[]> {
  const all: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ user_id: userId, limit: String(pageSize) });
    if (cursor) query.set("cursor", cursor);
    const response = await server.api(`/api/users/events?${query}`);
    expect(response.status).toBe(200);
    const page = await json<Page>(response);
    all.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return all.reverse();
}

/** Waits until `userId` has `count` events (recording may trail the answer by a retry). */
async function waitForEvents(server: TestServer, userId: string, count: number) {
  const deadline = Date.now() + 10_000;
  let events = await eventsOf(server, userId);
  while (events.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    events = await eventsOf(server, userId);
  }
  return events;
}

const login = (server: TestServer, identifier: string, password: string, totp_code?: string) =>
  post(server, "/api/users/auth/check", { identifier, password, ...(totp_code ? { totp_code } : {}) });

describe("audit trail: every security event, in order, per user", () => {
  it("a full flow (register, activate, wrong login, MFA on, login, password change, email change, role, delete) leaves exactly its events", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "3" });
    const user = await createActiveUser(server);
    expect((await login(server, user.username, "Wrong-password-1")).status).toBe(401);

    const { secret, recoveryCodes: recovery_codes } = await enableMfa(server, user);
    expect((await login(server, user.username, user.password, await codeAt(secret, 0))).status).toBe(200);
    const newPassword = "Brand-new-pass-1";
    const changed = await post(server, "/api/users/password/change", {
      id: user.id,
      current_password: user.password,
      password: newPassword,
      password_confirmation: newPassword,
      totp_code: await codeAt(secret, 30),
    });
    expect(changed.status).toBe(200);
    const newEmail = `moved.${user.username}@example.org`;
    const requested = await post(server, "/api/users/email/change", {
      id: user.id,
      new_email: newEmail,
      current_password: newPassword,
      totp_code: recovery_codes[0],
    });
    expect(requested.status).toBe(200);
    const code = await emailChangeCode(server, newEmail);
    expect((await patch(server, "/api/users/email/confirm", { id: user.id, code })).status).toBe(200);
    expect(
      (await patch(server, "/api/users/id", { id: user.id, role: "admin", first_name: "Jo" })).status,
    ).toBe(200);
    expect((await server.api(`/api/users/id?id=${user.id}`, { method: "DELETE" })).status).toBe(200);

    const events = await waitForEvents(server, user.id, 12);
    expect(events.map((e) => e.type)).toEqual([
      "user.registered",
      "user.activated",
      "login.failed",
      "mfa.enabled",
      "login.succeeded",
      "password.changed",
      "mfa.recovery_code_used",
      "email.change_requested",
      "email.changed",
      "profile.updated",
      "role.changed",
      "user.deleted",
    ]);
    for (const event of events) {
      expect(event.user_id).toBe(user.id);
      expect(event.request_id).toMatch(/\S/);
      // The harness's key is a plain API_KEYS entry: full access, named by its position.
      expect(event.actor).toBe("legacy-1");
      expect(event.client_ip).toBeNull(); // no trusted proxy: the IP would be the caller's
    }
    expect(events.find((e) => e.type === "login.failed")?.details).toEqual({
      method: "password",
      reason: "password",
    });
    expect(events.find((e) => e.type === "profile.updated")?.details).toEqual({
      fields: ["first_name", "role"],
    });
    expect(events.find((e) => e.type === "role.changed")?.details).toEqual({ from: "user", to: "admin" });
    // No secret, code, password or address anywhere in the trail.
    const text = JSON.stringify(events);
    for (const secretValue of [user.password, newPassword, secret, code, recovery_codes[0] ?? "x", newEmail])
      expect(text).not.toContain(secretValue);
  });

  it("wrong passwords up to the limit: login.failed each, then login.locked; filters by type and time; keyset pages", async () => {
    await using server = await startTestServer({ LOGIN_MAX_FAILURES: "3", TRUST_PROXY: "true" });
    const user = await createActiveUser(server);
    await withinOneThrottleWindow(server);
    for (let i = 0; i < 3; i++) {
      const response = await post(
        server,
        "/api/users/auth/check",
        { identifier: user.email, password: `Wrong-${i}-password` },
        { "x-forwarded-for": "203.0.113.7" },
      );
      expect(response.status).toBe(401);
    }
    const events = await waitForEvents(server, user.id, 6);
    expect(events.map((e) => e.type)).toEqual([
      "user.registered",
      "user.activated",
      "login.failed",
      "login.failed",
      "login.failed",
      "login.locked",
    ]);
    expect(events[5]?.details).toMatchObject({ factor: "password", failures: 3 });
    expect(events[5]?.client_ip).toBe("203.0.113.7");

    // Pages of 2 give the same events as one page.
    expect((await eventsOf(server, user.id, 2)).map((e) => e.id)).toEqual(events.map((e) => e.id));
    const failed = await server.api(`/api/users/events?user_id=${user.id}&type=login.failed`);
    expect((await json<Page>(failed)).items).toHaveLength(3);
    const from = events[2]?.timestamp ?? "";
    const late = await json<Page>(
      await server.api(`/api/users/events?user_id=${user.id}&from=${encodeURIComponent(from)}`),
    );
    expect(late.items.map((e) => e.type).sort()).toEqual([
      "login.failed",
      "login.failed",
      "login.failed",
      "login.locked",
    ]);
    const bad = await server.api("/api/users/events?type=user.exploded&from=yesterday&cursor=abc");
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ code: "VALIDATION_ERROR" });
  });
});

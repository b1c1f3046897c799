import jsQR from "jsqr";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import {
  codeAt,
  createActiveUser,
  json,
  nextThrottleWindow,
  patch,
  post,
  startTestServer,
  storedCollection,
  storedId,
  type TestServer,
  withinOneThrottleWindow,
} from "./harness";

type Enrolment = { qr_code: string; otpauth_url: string; secret: string };

const login = (server: TestServer, identifier: string, password: string, totp_code?: string) =>
  post(server, "/api/users/auth/check", { identifier, password, ...(totp_code ? { totp_code } : {}) });

/** Reads the QR code in a PNG data URL back to its text. */
function decodeQr(dataUrl: string): string {
  expect(dataUrl).toMatch(/^data:image\/png;base64,/);
  const png = PNG.sync.read(Buffer.from(dataUrl.split(",")[1] ?? "", "base64"));
  const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!decoded) throw new Error("no QR code in the image");
  return decoded.data;
}

async function enrol(server: TestServer) {
  const user = await createActiveUser(server);
  const enabled = await patch(server, "/api/users/mfa/enable", {
    id: user.id,
    current_password: user.password,
  });
  expect(enabled.status).toBe(200);
  const enrolment = await json<Enrolment>(enabled);
  const confirmed = await patch(server, "/api/users/mfa/confirm", {
    id: user.id,
    code: await codeAt(enrolment.secret, -30),
  });
  expect(confirmed.status).toBe(200);
  const { recovery_codes } = await json<{ recovery_codes: string[] }>(confirmed);
  return { user, enrolment, recoveryCodes: recovery_codes };
}

describe("MFA: enrolment and login", () => {
  it("enables with a QR code of the otpauth URL, confirms with a code, then requires it at login", async () => {
    await using server = await startTestServer({ MFA_ISSUER: "Acme Users" });
    const user = await createActiveUser(server);
    const enabled = await patch(server, "/api/users/mfa/enable", {
      id: user.id,
      current_password: user.password,
    });
    expect(enabled.status).toBe(200);
    const enrolment = await json<Enrolment>(enabled);
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(decodeQr(enrolment.qr_code)).toBe(enrolment.otpauth_url);
    const url = new URL(enrolment.otpauth_url);
    expect(url.searchParams.get("secret")).toBe(enrolment.secret);
    expect(url.searchParams.get("issuer")).toBe("Acme Users");
    expect(decodeURIComponent(url.pathname)).toContain(user.email);

    const qr = await server.api(`/api/users/mfa/qr?id=${user.id}`);
    expect(qr.status).toBe(200);
    expect(decodeQr((await json<Enrolment>(qr)).qr_code)).toBe(enrolment.otpauth_url);

    // Not enforced before confirmation.
    expect((await login(server, user.username, user.password)).status).toBe(200);

    const wrong = await patch(server, "/api/users/mfa/confirm", { id: user.id, code: "000000" });
    expect(wrong.status).toBe(401);
    const confirmed = await patch(server, "/api/users/mfa/confirm", {
      id: user.id,
      code: await codeAt(enrolment.secret, -30),
    });
    expect(confirmed.status).toBe(200);
    const { recovery_codes } = await json<{ recovery_codes: string[] }>(confirmed);
    expect(recovery_codes).toHaveLength(10);

    const required = await login(server, user.username, user.password);
    expect(required.status).toBe(401);
    expect(await json(required)).toMatchObject({ code: "MFA_REQUIRED" });
    const passed = await login(server, user.username, user.password, await codeAt(enrolment.secret, 0));
    expect(passed.status).toBe(200);
    expect(await json(passed)).toMatchObject({ id: user.id, mfa_enabled: true });
  });

  it("refuses a replayed code, and lets one of two concurrent logins with one code pass", async () => {
    await using server = await startTestServer();
    const { user, enrolment } = await enrol(server);
    const code = await codeAt(enrolment.secret, 0);
    expect((await login(server, user.username, user.password, code)).status).toBe(200);
    const replay = await login(server, user.username, user.password, code);
    expect(replay.status).toBe(401);
    expect(await json(replay)).toMatchObject({ code: "INVALID_MFA_CODE" });

    const next = await codeAt(enrolment.secret, 30);
    const both = await Promise.all([1, 2].map(() => login(server, user.username, user.password, next)));
    expect(both.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it("accepts each recovery code once, in place of a TOTP code", async () => {
    await using server = await startTestServer();
    const { user, recoveryCodes } = await enrol(server);
    const recovery = recoveryCodes[3] ?? "";
    expect((await login(server, user.username, user.password, recovery.toLowerCase())).status).toBe(200);
    const again = await login(server, user.username, user.password, recovery);
    expect(again.status).toBe(401);
    expect(await json(again)).toMatchObject({ code: "INVALID_MFA_CODE" });
    expect((await login(server, user.username, user.password, recoveryCodes[4])).status).toBe(200);
  });

  it("answers 429 after repeated wrong codes, with its own counter", async () => {
    await using server = await startTestServer({ MFA_MAX_FAILURES: "5", LOGIN_MAX_FAILURES: "5" });
    const { user, enrolment } = await enrol(server);
    await withinOneThrottleWindow(server);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await login(server, user.username, user.password, `00000${i}`.slice(-6));
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429, 429, 429]);
    const locked = await login(server, user.username, user.password, await codeAt(enrolment.secret, 0));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  // Up to 20 s may go to waiting for a UTC day with room left.
  it("bounds wrong codes per day, however paced: locked to midnight UTC, the owner told", {
    timeout: 60_000,
  }, async () => {
    await using server = await startTestServer({ MFA_MAX_FAILURES: "3", MFA_MAX_FAILURES_PER_DAY: "4" });
    await withinOneThrottleWindow({ windowSeconds: 86_400 }, 20);
    const { user, enrolment } = await enrol(server);
    const nextWindow = () => nextThrottleWindow(server, "mfa", user.id);
    const right = await codeAt(enrolment.secret, 0);
    const wrong = right === "000000" ? "000001" : "000000";
    for (let n = 0; n < 4; n++) {
      if (n === 2) await nextWindow();
      expect((await login(server, user.username, user.password, wrong)).status).toBe(401);
    }
    await nextWindow();
    const locked = await login(server, user.username, user.password, right);
    expect(locked.status).toBe(429);
    const now = new Date();
    const untilMidnight =
      (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1_000;
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(untilMidnight - 10);
    const notices = await server.inbox.waitForMessages(user.email, { count: 3 }); // activation, MFA on, this
    expect(notices.some((m) => m.text.includes("wrong two-factor code 4 times"))).toBe(true);
  });

  it("never shows the secret again once MFA is on, and stores it encrypted", async () => {
    await using server = await startTestServer();
    const { user, enrolment } = await enrol(server);
    const qr = await server.api(`/api/users/mfa/qr?id=${user.id}`);
    expect(qr.status).toBe(409);
    expect(await json(qr)).toMatchObject({ code: "MFA_ALREADY_ENABLED" });
    expect(
      (await patch(server, "/api/users/mfa/enable", { id: user.id, current_password: user.password })).status,
    ).toBe(409);
    const stored = JSON.stringify(
      await storedCollection(server, "users").findOne({ _id: storedId(user.id) }),
    );
    expect(stored).not.toContain(enrolment.secret);
    for (const path of [`/api/users/id?id=${user.id}`, `/api/users/identifier?identifier=${user.username}`]) {
      const body = await (await server.api(path)).text();
      expect(body).not.toContain(enrolment.secret);
      expect(body).not.toMatch(/secret|recovery/i);
    }
  });

  it("answers 409 MFA_NOT_PENDING for qr/confirm without enrolment", async () => {
    await using server = await startTestServer();
    const user = await createActiveUser(server);
    const qr = await server.api(`/api/users/mfa/qr?id=${user.id}`);
    expect(qr.status).toBe(409);
    expect(await json(qr)).toMatchObject({ code: "MFA_NOT_PENDING" });
    const confirm = await patch(server, "/api/users/mfa/confirm", { id: user.id, code: "123456" });
    expect(await json(confirm)).toMatchObject({ code: "MFA_NOT_PENDING" });
    const disable = await patch(server, "/api/users/mfa/disable", {
      id: user.id,
      current_password: user.password,
      code: "123456",
    });
    expect(await json(disable)).toMatchObject({ code: "MFA_NOT_ENABLED" });
  });

  it("asks for the second factor to change the password too", async () => {
    await using server = await startTestServer();
    const { user, enrolment } = await enrol(server);
    const body = {
      id: user.id,
      current_password: user.password,
      password: "Changed-pass-1",
      password_confirmation: "Changed-pass-1",
    };
    const without = await post(server, "/api/users/password/change", body);
    expect(without.status).toBe(401);
    expect(await json(without)).toMatchObject({ code: "MFA_REQUIRED" });
    const wrong = await post(server, "/api/users/password/change", { ...body, totp_code: "000000" });
    expect(await json(wrong)).toMatchObject({ code: "INVALID_MFA_CODE" });
    const ok = await post(server, "/api/users/password/change", {
      ...body,
      totp_code: await codeAt(enrolment.secret, 0),
    });
    expect(ok.status).toBe(200);
  });

  it("disables with a valid code; login then asks for none", async () => {
    await using server = await startTestServer();
    const { user, enrolment } = await enrol(server);
    const wrong = await patch(server, "/api/users/mfa/disable", {
      id: user.id,
      current_password: user.password,
      code: "000000",
    });
    expect(wrong.status).toBe(401);
    const disabled = await patch(server, "/api/users/mfa/disable", {
      id: user.id,
      current_password: user.password,
      code: await codeAt(enrolment.secret, 0),
    });
    expect(disabled.status).toBe(200);
    expect(await json(disabled)).toMatchObject({ id: user.id, mfa_enabled: false });
    expect((await login(server, user.username, user.password)).status).toBe(200);
    const stored = await storedCollection(server, "users").findOne({ _id: storedId(user.id) });
    expect(stored?.mfa).toMatchObject({ secret_enc: null, recovery_hashes: [] });
  });
});

/**
 * A small web backend on the SDK (Hono): sign up, activate from the emailed code, log in with
 * MFA. The users service keeps the accounts; this app only translates its answers for a UI.
 */

import { isUsersServiceError, type UsersClient } from "@usersvc/sdk";
import { Hono } from "hono";

type Json = Record<string, unknown>;

/** The app's routes, over a users-service client (`createUsersClient({ url, apiKey })`). */
export function createSignupApp(users: UsersClient) {
  const app = new Hono();

  // Every failure of the service becomes an answer the UI can show; the request id links it
  // to the service's logs.
  app.onError((error, c) => {
    if (!isUsersServiceError(error)) throw error;
    if (error.code === "MFA_REQUIRED") return c.json({ mfa_required: true }, 401);
    const status =
      error.status === 401 || error.status === 409 || error.status === 429
        ? error.status
        : (error.status ?? 503) >= 500
          ? 503
          : 400;
    return c.json({ error: error.code, message: error.message, request_id: error.requestId }, status);
  });

  app.post("/signup", async (c) => {
    const body = (await c.req.json()) as Json;
    const user = await users.users.create({
      username: String(body.username),
      first_name: String(body.first_name),
      last_name: String(body.last_name),
      email: String(body.email),
      password: String(body.password),
      password_confirmation: String(body.password),
      gender: "Unspecified",
    });
    return c.json({ id: user.id, next: "Enter the 6-digit code we emailed you." }, 201);
  });

  app.post("/activate", async (c) => {
    const { identifier, code } = (await c.req.json()) as Json;
    const user = await users.users.activate({ identifier: String(identifier), code: String(code) });
    return c.json({ id: user.id, active: user.is_active });
  });

  app.post("/login", async (c) => {
    const { identifier, password, totp_code } = (await c.req.json()) as Json;
    const user = await users.auth.check({
      identifier: String(identifier),
      password: String(password),
      ...(totp_code ? { totp_code: String(totp_code) } : {}),
    });
    // Here a real app would start its session.
    return c.json({ id: user.id, username: user.username, mfa: user.mfa_enabled });
  });

  app.post("/mfa/enable", async (c) => {
    const { id, password } = (await c.req.json()) as Json;
    const enrolment = await users.mfa.enable({ id: String(id), current_password: String(password) });
    return c.json({
      otpauth_url: enrolment.otpauth_url,
      qr_code: enrolment.qr_code,
      secret: enrolment.secret,
    });
  });

  app.post("/mfa/confirm", async (c) => {
    const { id, code } = (await c.req.json()) as Json;
    const { recovery_codes } = await users.mfa.confirm({ id: String(id), code: String(code) });
    return c.json({ recovery_codes });
  });

  return app;
}

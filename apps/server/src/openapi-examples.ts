/**
 * A request and a success response example for every operation of the REST API, keyed by
 * operationId; openapi.ts puts them on the document (request: the JSON body or the query
 * parameters; response: the success status). The unit test of openapi.ts fails when an
 * operation has none, or when an example does not match the operation's schemas.
 */
export type OperationExample = {
  /** The JSON body (POST, PATCH) or the query parameters (GET, DELETE); absent without input. */
  request?: Record<string, unknown>;
  response: unknown;
};

const id = "6650f1c2a4b3c2d1e0f9a8b7";
const user = {
  id,
  username: "john_doe",
  first_name: "John",
  last_name: "Doe",
  email: "john@example.com",
  gender: "Male",
  role: "user",
  is_active: true,
  mfa_enabled: false,
  locale: "en",
  created_at: "2026-01-05T10:00:00.000Z",
  updated_at: "2026-01-05T10:02:00.000Z",
};
const qr = {
  qr_code:
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  otpauth_url:
    "otpauth://totp/Users%20Service:john%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Users%20Service",
};
const password = "Password1!";
const newPassword = "New-password-2";

export const operationExamples: Record<string, OperationExample> = {
  "users-health": {
    response: { status: "ok", database: "up", outbox: { pending: 0, oldest_pending_seconds: null } },
  },
  "users-live": { response: { status: "ok" } },
  "users-create": {
    request: {
      username: "john_doe",
      first_name: "John",
      last_name: "Doe",
      email: "john@example.com",
      password,
      password_confirmation: password,
      gender: "Male",
      locale: "en",
    },
    response: { ...user, is_active: false, updated_at: user.created_at },
  },
  "users-list": {
    request: { limit: 20, q: "jo" },
    response: { items: [user], next_cursor: null },
  },
  "users-activate": { request: { identifier: "john_doe", code: "123456" }, response: user },
  "users-resendActivation": {
    request: { identifier: "john@example.com" },
    response: {
      message: "If the account exists and is not active yet, a new activation code has been sent.",
    },
  },
  "users-byIdentifier": { request: { identifier: "john_doe" }, response: user },
  "users-deleteByIdentifier": { request: { identifier: "john_doe" }, response: { message: "User deleted." } },
  "users-byId": { request: { id }, response: user },
  "users-deleteById": { request: { id }, response: { message: "User deleted." } },
  "users-update": {
    request: { id, first_name: "Johnny", locale: "de" },
    response: { ...user, first_name: "Johnny", locale: "de" },
  },
  "users-auth-check": { request: { identifier: "john@example.com", password }, response: user },
  "users-password-forgot": {
    request: { identifier: "john@example.com" },
    response: { message: "If the email exists, a reset link has been sent." },
  },
  "users-password-reset": {
    request: {
      token: "Xo3vV9kq2b7sLr0cT4mYw1nZ8uE5aH6g",
      password: newPassword,
      password_confirmation: newPassword,
    },
    response: { message: "Your password has been reset." },
  },
  "users-password-change": {
    request: { id, current_password: password, password: newPassword, password_confirmation: newPassword },
    response: { message: "Your password has been changed." },
  },
  "users-mfa-enable": {
    request: { id, current_password: password },
    response: { ...qr, secret: "JBSWY3DPEHPK3PXP" },
  },
  "users-mfa-confirm": {
    request: { id, code: "123456" },
    response: {
      recovery_codes: Array.from({ length: 10 }, (_, n) => `k7p2-m9x${n}-q4rt`),
    },
  },
  "users-mfa-qr": { request: { id }, response: qr },
  "users-mfa-disable": {
    request: { id, current_password: password, code: "123456" },
    response: user,
  },
  "users-email-change": {
    request: { id, new_email: "john.doe@example.org", current_password: password },
    response: { message: "A confirmation code has been sent to the new address." },
  },
  "users-email-confirm": {
    request: { id, code: "123456" },
    response: { ...user, email: "john.doe@example.org" },
  },
  "users-email-revert": {
    request: { token: "Xo3vV9kq2b7sLr0cT4mYw1nZ8uE5aH6g" },
    response: user,
  },
  "users-import": {
    request: {
      users: [
        {
          username: "jane_roe",
          email: "jane@example.com",
          first_name: "Jane",
          last_name: "Roe",
          gender: "Female",
          password_hash: "$2b$12$KIXQJ6u3rVJ3l5ZcV0p7UeC3aQy6Vj2hQ8oB3lqJp0bGm9zv3kR1e",
        },
      ],
    },
    response: { results: [{ index: 0, id, status: "created" }], created: 1, skipped: 0, invalid: 0 },
  },
};

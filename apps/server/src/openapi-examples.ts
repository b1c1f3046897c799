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
// Strong enough for the password policy (a weak one answers 400 WEAK_PASSWORD).
const password = "Tulip-Kettle-Orbit-42";
const newPassword = "Harbor-Violet-Quill-7";
const webhookId = "6650f1c2a4b3c2d1e0f9a8c1";
const webhook = {
  id: webhookId,
  url: "https://billing.example.com/hooks/users",
  event_types: ["user.registered", "user.deleted"],
  description: "Billing: open and close accounts",
  enabled: true,
  disabled_reason: null,
  failure_streak: 0,
  last_success_at: "2026-01-05T10:05:00.000Z",
  previous_secret_valid_until: null,
  created_at: "2026-01-05T10:00:00.000Z",
  updated_at: "2026-01-05T10:00:00.000Z",
};
const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const passkeyId = "hQ8fzNqG3l3Z4j8x9YwQ1A";
const passkey = {
  id: passkeyId,
  name: "MacBook Touch ID",
  created_at: "2026-01-05T10:10:00.000Z",
  last_used_at: null,
  transports: ["internal", "hybrid"],
  device_type: "multiDevice",
  backed_up: true,
};
/** A browser's answer to navigator.credentials.get (base64url fields, shortened). */
const assertion = {
  id: passkeyId,
  rawId: passkeyId,
  type: "public-key",
  response: {
    clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
    authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
    signature: "MEUCIQDyb3Vnc2lnbmF0dXJl",
    userHandle: "NjY1MGYxYzJhNGIzYzJkMWUwZjlhOGI3",
  },
  clientExtensionResults: {},
};
const challenge = "k3Jp0wZxV8sQ2mN5bT7yR1uE4oA6cD9f";

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
  "users-auth-code-request": {
    request: { identifier: "john@example.com" },
    response: {
      message: "If an active account has this identifier, a sign-in code has been sent to its email address.",
    },
  },
  "users-auth-code-verify": { request: { identifier: "john@example.com", code: "123456" }, response: user },
  "users-password-strength": {
    request: { password: "john1990", user_inputs: ["john_doe", "john@example.com"] },
    response: {
      score: 0,
      min_score: 3,
      acceptable: false,
      warning: "This is similar to a commonly used password.",
      suggestions: ["Add more words that are less common.", "Avoid years that are associated with you."],
    },
  },
  "users-passkeys-registrationOptions": {
    request: { id, current_password: password },
    response: {
      rp: { id: "example.com", name: "Users Service" },
      user: { id: "NjY1MGYxYzJhNGIzYzJkMWUwZjlhOGI3", name: "john_doe", displayName: "John Doe" },
      challenge,
      pubKeyCredParams: [
        { alg: -8, type: "public-key" },
        { alg: -7, type: "public-key" },
        { alg: -257, type: "public-key" },
      ],
      timeout: 300000,
      excludeCredentials: [],
      authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
      attestation: "none",
    },
  },
  "users-passkeys-register": {
    request: {
      id,
      name: passkey.name,
      response: {
        id: passkeyId,
        rawId: passkeyId,
        type: "public-key",
        response: {
          clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0",
          attestationObject: "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjF",
          transports: ["internal", "hybrid"],
        },
        clientExtensionResults: {},
      },
    },
    response: passkey,
  },
  "users-passkeys-authenticationOptions": {
    request: { identifier: "john_doe" },
    response: {
      challenge,
      timeout: 300000,
      rpId: "example.com",
      allowCredentials: [{ id: passkeyId, type: "public-key", transports: ["internal", "hybrid"] }],
      userVerification: "preferred",
    },
  },
  "users-passkeys-authenticate": { request: { response: assertion }, response: user },
  "users-passkeys-list": { request: { id }, response: { passkeys: [passkey] } },
  "users-passkeys-rename": {
    request: { id, passkey_id: passkeyId, name: "Work laptop" },
    response: { ...passkey, name: "Work laptop" },
  },
  "users-passkeys-remove": {
    request: { id, passkey_id: passkeyId, current_password: password },
    response: { message: "Passkey deleted." },
  },
  "users-events-list": {
    request: { limit: 50, user_id: id, type: "login.failed" },
    response: {
      items: [
        {
          id: "6650f1c2a4b3c2d1e0f9a8d2",
          type: "login.failed",
          user_id: id,
          actor: "billing",
          client_ip: "203.0.113.7",
          request_id: "0b7c9a4e-2f51-4c3b-9d1e-7a2f6c8b5e10",
          details: { method: "password", reason: "password" },
          timestamp: "2026-01-05T10:20:00.000Z",
        },
      ],
      next_cursor: null,
    },
  },
  "users-webhooks-create": {
    request: {
      url: webhook.url,
      event_types: webhook.event_types,
      description: webhook.description,
      enabled: true,
    },
    response: { ...webhook, last_success_at: null, secret },
  },
  "users-webhooks-list": { response: { items: [webhook] } },
  "users-webhooks-byId": { request: { id: webhookId }, response: webhook },
  "users-webhooks-update": {
    request: { id: webhookId, event_types: ["user.registered", "user.deleted", "email.changed"] },
    response: {
      ...webhook,
      event_types: ["user.registered", "user.deleted", "email.changed"],
      updated_at: "2026-01-06T09:00:00.000Z",
    },
  },
  "users-webhooks-delete": {
    request: { id: webhookId },
    response: { message: "Webhook subscription deleted." },
  },
  "users-webhooks-rotateSecret": {
    request: { id: webhookId, keep_previous_hours: 24 },
    response: {
      ...webhook,
      previous_secret_valid_until: "2026-01-07T09:00:00.000Z",
      updated_at: "2026-01-06T09:00:00.000Z",
      secret: "whsec_3pH2bN8vQ1kZr7YtWx5sLm0cDe9fGa4J",
    },
  },
  "users-webhooks-test": {
    request: { id: webhookId },
    response: {
      message: "A test event was queued.",
      event_id: "6650f1c2a4b3c2d1e0f9a8e3",
      delivery_id: "6650f1c2a4b3c2d1e0f9a8e4",
    },
  },
  "users-webhooks-deliveries": {
    request: { id: webhookId, limit: 20 },
    response: {
      items: [
        {
          id: "6650f1c2a4b3c2d1e0f9a8e4",
          event_id: "6650f1c2a4b3c2d1e0f9a8e3",
          event_type: "webhook.test",
          status: "delivered",
          attempts: 0,
          next_attempt_at: null,
          last_status_code: 204,
          last_error: null,
          duration_ms: 84,
          created_at: "2026-01-06T09:00:00.000Z",
          delivered_at: "2026-01-06T09:00:00.000Z",
        },
      ],
      next_cursor: null,
    },
  },
};

/**
 * OpenAPI `links` (https://spec.openapis.org/oas/v3.0.3#link-object): how an answer feeds the
 * next call, so that generators and stateful fuzzers (schemathesis) can chain "create" to
 * "get by id", "enable MFA" to "confirm", and so on. Keyed by operationId (trpc-to-openapi's
 * `users-<procedure path with dashes>`); added to the document by openapi.ts. A link whose
 * operationId does not exist fails the unit test of openapi.ts.
 */
export type LinkSpec = {
  operationId: string;
  description: string;
  /** Query parameters of the target, as runtime expressions. */
  parameters?: Record<string, string>;
  /** The target's JSON body (values may be runtime expressions). */
  requestBody?: Record<string, string>;
};

const id = "$response.body#/id";
const username = "$response.body#/username";

/** From a user read, activated, updated or checked: the next steps worth chaining. */
const returned: Record<string, LinkSpec> = {
  GetUserById: { operationId: "users-byId", description: "Read it back", parameters: { id } },
  UpdateUser: { operationId: "users-update", description: "Change its profile", requestBody: { id } },
  DeleteUserById: { operationId: "users-deleteById", description: "Delete it", parameters: { id } },
};

/** From a registration: everything that can be done with the new user (its password is the one sent). */
const password = "$request.body#/password";
const created: Record<string, LinkSpec> = {
  ...returned,
  DeleteUserByIdentifier: {
    operationId: "users-deleteByIdentifier",
    description: "Delete it by username",
    parameters: { identifier: username },
  },
  ActivateUser: {
    operationId: "users-activate",
    description: "Activate it with the emailed code",
    requestBody: { identifier: username },
  },
  ResendActivation: {
    operationId: "users-resendActivation",
    description: "Email a new activation code",
    parameters: { identifier: username },
  },
  ListPasskeys: {
    operationId: "users-passkeys-list",
    description: "Its passkeys (none yet)",
    parameters: { id },
  },
  UserEvents: {
    operationId: "users-events-list",
    description: "Its audit trail (user.registered)",
    parameters: { user_id: id },
  },
  CheckCredentials: {
    operationId: "users-auth-check",
    description: "Check a login with the username and password just registered",
    requestBody: { identifier: username, password },
  },
  EnableMfa: {
    operationId: "users-mfa-enable",
    description: "Start TOTP enrolment (the current password is the one registered)",
    requestBody: { id, current_password: password },
  },
  ChangeEmail: {
    operationId: "users-email-change",
    description: "Change its email address (with the current password)",
    requestBody: { id, current_password: password },
  },
  ChangePassword: {
    operationId: "users-password-change",
    description: "Change its password (given the current one)",
    requestBody: { id, current_password: password },
  },
};

/** The links of each operation's success answer. */
export const operationLinks: Record<string, Record<string, LinkSpec>> = {
  "users-create": created,
  "users-byId": returned,
  "users-byIdentifier": returned,
  "users-activate": {
    ...returned,
    GetUserByIdentifier: {
      operationId: "users-byIdentifier",
      description: "Read it back by username (lookups by identifier find active users only)",
      parameters: { identifier: username },
    },
  },
  "users-update": returned,
  "users-auth-check": returned,
  "users-list": {
    GetFirstUser: {
      operationId: "users-byId",
      description: "Read the first user of the page",
      parameters: { id: "$response.body#/items/0/id" },
    },
    NextPage: {
      operationId: "users-list",
      description: "The next page",
      parameters: { cursor: "$response.body#/next_cursor" },
    },
  },
  "users-mfa-enable": {
    ConfirmMfa: {
      operationId: "users-mfa-confirm",
      description: "Turn MFA on with a first code from the authenticator",
      requestBody: { id: "$request.body#/id" },
    },
    GetMfaQr: {
      operationId: "users-mfa-qr",
      description: "The QR code of this enrolment",
      parameters: { id: "$request.body#/id" },
    },
  },
  "users-mfa-confirm": {
    DisableMfa: {
      operationId: "users-mfa-disable",
      description: "Turn MFA off again",
      requestBody: { id: "$request.body#/id" },
    },
  },
  "users-email-change": {
    ConfirmEmail: {
      operationId: "users-email-confirm",
      description: "Switch to the new address with the emailed code",
      requestBody: { id: "$request.body#/id" },
    },
  },
  "users-events-list": {
    NextPage: {
      operationId: "users-events-list",
      description: "The next page",
      parameters: { cursor: "$response.body#/next_cursor" },
    },
  },
  "users-webhooks-create": {
    GetWebhook: {
      operationId: "users-webhooks-byId",
      description: "Read it back (never its secret)",
      parameters: { id },
    },
    UpdateWebhook: {
      operationId: "users-webhooks-update",
      description: "Change its URL, event types, description or enabled flag",
      requestBody: { id },
    },
    DeleteWebhook: { operationId: "users-webhooks-delete", description: "Delete it", parameters: { id } },
    RotateWebhookSecret: {
      operationId: "users-webhooks-rotateSecret",
      description: "Replace its signing secret",
      requestBody: { id },
    },
    TestWebhook: {
      operationId: "users-webhooks-test",
      description: "Queue a webhook.test delivery",
      requestBody: { id },
    },
    WebhookDeliveries: {
      operationId: "users-webhooks-deliveries",
      description: "Its delivery log",
      parameters: { id },
    },
  },
  "users-webhooks-test": {
    WebhookDeliveries: {
      operationId: "users-webhooks-deliveries",
      description: "The delivery log with the queued test",
      parameters: { id: "$request.body#/id" },
    },
  },
  "users-passkeys-register": {
    RenamePasskey: {
      operationId: "users-passkeys-rename",
      description: "Rename the passkey just added",
      requestBody: { id: "$request.body#/id", passkey_id: id },
    },
    ListPasskeys: {
      operationId: "users-passkeys-list",
      description: "The user's passkeys",
      parameters: { id: "$request.body#/id" },
    },
  },
};

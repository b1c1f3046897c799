import { z } from "zod";
import { userSchema } from "../users/schemas";

/**
 * The catalogue of security events: what the audit trail records and what webhooks deliver.
 * One list, so the audit query's `type` filter, the webhook subscription's `event_types`, the
 * OpenAPI document and the SDK's typed event union cannot drift apart. Names are
 * `<subject>.<past-tense verb>`, as Standard Webhooks suggests; a name, once shipped, is
 * never renamed (add a new one instead).
 */
export const eventTypes = [
  "user.registered",
  "user.activated",
  "user.imported",
  "user.deleted",
  "login.succeeded",
  "login.failed",
  "login.locked",
  "mfa.enabled",
  "mfa.disabled",
  "mfa.recovery_code_used",
  "password.reset_requested",
  "password.reset",
  "password.changed",
  "email.change_requested",
  "email.changed",
  "email.change_reverted",
  "profile.updated",
  "role.changed",
  // Issue 18 (passkeys, emailed login codes)
  "passkey.registered",
  "passkey.deleted",
  "login_code.requested",
  // Webhook subscriptions changed by an operator (no user: userId null). Audited so that a
  // stolen admin key cannot quietly subscribe a URL to every user's changes.
  "webhook.created",
  "webhook.updated",
  "webhook.secret_rotated",
  "webhook.deleted",
  // Sent only to one webhook subscription, on request ("send test event"); never audited.
  "webhook.test",
] as const;

export type EventType = (typeof eventTypes)[number];

export const eventTypeSchema = z.enum(eventTypes).meta({ id: "EventType" });

/**
 * What a use case reports: the subject and what changed, never a secret, code, token or
 * password. `details` values are short scalars or lists of field names (e.g. `fields:
 * ["first_name"]` for profile.updated, `method: "password" | "passkey" | "login_code"` for
 * login.succeeded, `reason` for login.failed).
 */
export type SecurityEventInput = {
  type: EventType;
  /** The user the event is about; null only for events about no known account. */
  userId: string | null;
  details?: Record<string, string | number | boolean | string[]>;
};

/**
 * The body of every webhook delivery (Standard Webhooks: `type`, `timestamp`, `data`), and
 * the type the SDK's `verifyWebhook` returns. `id` equals the `webhook-id` header and the
 * audit event's id, so a receiver can drop duplicates. `data.user` is the public user after
 * the event (null once deleted or when no account is involved); `data.details` says what
 * changed (field names, never values of secrets). Versioned: a breaking change gets a new
 * `version`, never an edit of this one.
 */
export const webhookEventSchema = z
  .object({
    id: z.string(),
    type: eventTypeSchema,
    version: z.literal(1),
    timestamp: z.iso.datetime(),
    data: z.object({
      user_id: z.string().nullable(),
      user: userSchema.nullable(),
      details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])),
    }),
  })
  .meta({ id: "WebhookEvent" });

export type WebhookEvent = z.infer<typeof webhookEventSchema>;

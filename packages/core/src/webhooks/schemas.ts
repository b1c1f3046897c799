import { z } from "zod";
import { eventTypes } from "../events/catalogue";
import { objectIdSchema } from "../users/schemas";

const urlSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(2_000, "must be at most 2000 characters")
  .meta({
    description: "Where deliveries are POSTed; https:// in production",
    example: "https://billing.example.com/hooks/users",
  });

const eventTypesSchema = z
  .array(z.enum(eventTypes).exclude(["webhook.test"]))
  .min(1, "list at least one event type")
  .max(eventTypes.length)
  .refine((types) => new Set(types).size === types.length, "must not repeat a type")
  .meta({
    description: "The event types to deliver (see the events catalogue)",
    example: ["user.registered", "user.deleted"],
  });

/**
 * Body booleans and numbers behind a pipe: trpc-to-openapi 3.3 switches `coerce` on for every
 * top-level boolean and number of an input, bodies included (so `{}` would pass as true and
 * "12" as 12); it does not look inside a pipe.
 */
const strictBoolean = () => z.boolean().pipe(z.boolean());

const descriptionSchema = z.string().trim().max(200, "must be at most 200 characters").nullable();

/** POST /api/users/webhooks */
export const createWebhookInputSchema = z
  .strictObject({
    url: urlSchema,
    event_types: eventTypesSchema,
    description: descriptionSchema.optional(),
    enabled: strictBoolean().default(true),
  })
  .meta({ id: "CreateWebhook" });

/** PATCH /api/users/webhooks/id */
export const updateWebhookInputSchema = z
  .strictObject({
    id: objectIdSchema,
    url: urlSchema.optional(),
    event_types: eventTypesSchema.optional(),
    description: descriptionSchema.optional(),
    enabled: z
      .boolean()
      .optional()
      .meta({ description: "true also clears an automatic disabling and its failure streak" }),
  })
  .refine((input) => Object.keys(input).length > 1, {
    message: "change at least one of url, event_types, description, enabled",
  })
  .meta({ id: "UpdateWebhook" });

/** GET/DELETE /api/users/webhooks/id?id= */
export const webhookIdInputSchema = z.strictObject({ id: objectIdSchema });

/** POST /api/users/webhooks/secret/rotate */
export const rotateWebhookSecretInputSchema = z
  .strictObject({
    id: objectIdSchema,
    keep_previous_hours: z.number().min(0).max(168).pipe(z.number()).default(24).meta({
      description: "How long deliveries are signed with the old secret too (0: at once only the new one)",
    }),
  })
  .meta({ id: "RotateWebhookSecret" });

/** POST /api/users/webhooks/test */
export const testWebhookInputSchema = z.strictObject({ id: objectIdSchema }).meta({ id: "TestWebhook" });

/** GET /api/users/webhooks/deliveries */
export const listDeliveriesInputSchema = z.strictObject({
  id: objectIdSchema.meta({ description: "The subscription" }),
  limit: z.coerce.number().int().min(1, "must be 1-100").max(100, "must be 1-100").default(20),
  cursor: z.string().max(200, "is not a cursor from this API").optional(),
});

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    event_types: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .meta({ description: "Set when the service disabled it after a long failure streak" }),
    failure_streak: z.number().int().meta({ description: "Failed attempts since the last success" }),
    last_success_at: z.iso.datetime().nullable(),
    previous_secret_valid_until: z.iso
      .datetime()
      .nullable()
      .meta({ description: "Until then deliveries carry a signature with the previous secret too" }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: "Webhook" });

export const webhookWithSecretSchema = webhookSchema
  .extend({
    secret: z.string().meta({
      description: "The signing secret (whsec_...): shown only now; store it",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  })
  .meta({ id: "WebhookWithSecret" });

export const webhookListSchema = z.object({ items: z.array(webhookSchema) }).meta({ id: "WebhookList" });

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string().meta({ description: "The `webhook-id` header and the audit event's id" }),
    event_type: z.string(),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number().int().meta({ description: "Failed attempts so far" }),
    next_attempt_at: z.iso
      .datetime()
      .nullable()
      .meta({ description: "When it is tried next (pending only)" }),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    duration_ms: z.number().int().nullable().meta({ description: "How long the last attempt took" }),
    created_at: z.iso.datetime(),
    delivered_at: z.iso.datetime().nullable(),
  })
  .meta({ id: "WebhookDelivery" });

export const webhookDeliveryPageSchema = z
  .object({ items: z.array(webhookDeliverySchema), next_cursor: z.string().nullable() })
  .meta({ id: "WebhookDeliveryPage" });

export const webhookTestResultSchema = z
  .object({ message: z.string(), event_id: z.string(), delivery_id: z.string() })
  .meta({ id: "WebhookTestResult" });

export type CreateWebhookInput = z.output<typeof createWebhookInputSchema>;
export type UpdateWebhookInput = z.output<typeof updateWebhookInputSchema>;
export type RotateWebhookSecretInput = z.output<typeof rotateWebhookSecretInputSchema>;
export type ListDeliveriesInput = z.output<typeof listDeliveriesInputSchema>;
export type WebhookView = z.infer<typeof webhookSchema>;
export type WebhookWithSecret = z.infer<typeof webhookWithSecretSchema>;
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

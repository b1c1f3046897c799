import { z } from "zod";
import { objectIdSchema } from "../users/schemas";
import { eventTypeSchema } from "./catalogue";

const detailValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

/** GET /api/users/events (query string). */
export const listEventsInputSchema = z
  .strictObject({
    limit: z.coerce.number().int().min(1, "must be 1-100").max(100, "must be 1-100").default(50),
    cursor: z.string().max(200, "is not a cursor from this API").optional().meta({
      description: "`next_cursor` of the previous page",
    }),
    user_id: objectIdSchema.optional().meta({ description: "Only this user's events" }),
    type: eventTypeSchema.optional().meta({ description: "Only events of this type" }),
    from: z.iso.datetime({ offset: true }).optional().meta({
      description: "Only events at or after this time (ISO 8601)",
      example: "2026-01-01T00:00:00Z",
    }),
    to: z.iso.datetime({ offset: true }).optional().meta({
      description: "Only events before this time (ISO 8601)",
      example: "2026-02-01T00:00:00Z",
    }),
  })
  .refine((input) => !(input.from && input.to) || Date.parse(input.from) <= Date.parse(input.to), {
    message: "from must not be after to",
    path: ["from"],
  });

export type ListEventsInput = z.output<typeof listEventsInputSchema>;

/** One audit event as the API returns it. */
export const auditEventSchema = z
  .object({
    id: z.string().meta({ description: "Also the `webhook-id` of its webhook deliveries" }),
    type: eventTypeSchema,
    user_id: z.string().nullable(),
    actor: z
      .string()
      .nullable()
      .meta({ description: "Name of the API key that made the call; never the key" }),
    client_ip: z
      .string()
      .nullable()
      .meta({ description: "The end user's IP, only when a trusted proxy gives it (TRUST_PROXY)" }),
    request_id: z.string().nullable(),
    details: z.record(z.string(), detailValue).meta({
      description: "What changed (field names, reasons); never a secret, code or token",
    }),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: "AuditEvent" });

export type AuditEventView = z.infer<typeof auditEventSchema>;

export const auditEventPageSchema = z
  .object({
    items: z.array(auditEventSchema),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: "Pass as `cursor` for the next page; null at the end" }),
  })
  .meta({ id: "AuditEventPage" });

export type AuditEventPage = z.infer<typeof auditEventPageSchema>;

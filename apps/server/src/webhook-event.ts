import { webhookEventSchema } from "@usersvc/core";

/**
 * Reads a webhook delivery's body as the catalogue's envelope. Its inferred return type is
 * what the SDK's `WebhookEvent` is: declared through a function so that the emitted `.d.ts`
 * spells the type out (an alias of the schema's inferred type would import the schema library).
 */
export const parseWebhookEvent = (value: unknown) => webhookEventSchema.parse(value);

/** The body of every webhook delivery (`packages/core/src/events/catalogue.ts`). */
export type WebhookEvent = ReturnType<typeof parseWebhookEvent>;

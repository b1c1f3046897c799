import type { AuditEvent, AuditStore } from "../events/audit-store";
import type { WebhookEvent } from "../events/catalogue";
import type { PublicUserLookup } from "../ports";
import { toUser } from "../users/user";
import type { WebhookDeliveryStore, WebhookSubscription, WebhookSubscriptionStore } from "./store";

/** The webhook body of an event (the public user as it is when the event is fanned out). */
export function webhookEventOf(
  event: Pick<AuditEvent, "id" | "type" | "userId" | "details" | "timestamp">,
  user: WebhookEvent["data"]["user"],
): WebhookEvent {
  return {
    id: event.id,
    type: event.type,
    version: 1,
    timestamp: event.timestamp.toISOString(),
    data: { user_id: event.userId, user, details: event.details },
  };
}

/** The id of one event's delivery to one subscription: the same however often fan-out runs. */
export const deliveryIdOf = (eventId: string, subscriptionId: string) => `${eventId}:${subscriptionId}`;

/**
 * Turns recorded events into deliveries, durably: the request writes only the event; this
 * step (run by the webhook worker of any instance) creates one delivery per enabled
 * subscription that wants the event's type, then marks the event fanned out. Delivery ids
 * are deterministic, so two instances fanning out the same event, or a crash between the
 * two steps, create no duplicate.
 */
export function createWebhookFanout(deps: {
  events: Pick<AuditStore, "pendingFanout" | "markFannedOut">;
  subscriptions: Pick<WebhookSubscriptionStore, "list">;
  deliveries: Pick<WebhookDeliveryStore, "createMany">;
  users: Pick<PublicUserLookup, "findPublicById">;
  batchSize?: number;
}) {
  const batchSize = deps.batchSize ?? 50;
  return {
    batchSize,
    /** Fans out one batch of events; returns how many events it handled. */
    async runOnce(): Promise<number> {
      const events = await deps.events.pendingFanout(batchSize);
      if (events.length === 0) return 0;
      const subscriptions = (await deps.subscriptions.list()).filter((s) => s.enabled);
      for (const event of events) {
        const targets = subscriptions.filter((s: WebhookSubscription) => s.eventTypes.includes(event.type));
        if (targets.length === 0) continue;
        const record = event.userId ? await deps.users.findPublicById(event.userId) : null;
        const payload = JSON.stringify(webhookEventOf(event, record ? toUser(record) : null));
        await deps.deliveries.createMany(
          targets.map((s) => ({
            id: deliveryIdOf(event.id, s.id),
            subscriptionId: s.id,
            eventId: event.id,
            eventType: event.type,
            payload,
          })),
        );
      }
      await deps.events.markFannedOut(events.map((event) => event.id));
      return events.length;
    },
  };
}

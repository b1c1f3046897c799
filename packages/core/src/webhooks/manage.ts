import { DomainError } from "../errors";
import type { Keyring } from "../keyring";
import { deliveryIdOf, webhookEventOf } from "./fanout";
import type {
  CreateWebhookInput,
  ListDeliveriesInput,
  RotateWebhookSecretInput,
  UpdateWebhookInput,
  WebhookDeliveryView,
  WebhookView,
  WebhookWithSecret,
} from "./schemas";
import { newWebhookSecret } from "./signing";
import type {
  WebhookDelivery,
  WebhookDeliveryStore,
  WebhookSubscription,
  WebhookSubscriptionStore,
} from "./store";
import { type TargetPolicy, urlProblem } from "./target-policy";

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The opaque cursor after a delivery: its creation time and id. */
const encodeCursor = (createdAt: Date, id: string) =>
  Buffer.from(JSON.stringify([createdAt.getTime(), id])).toString("base64url");

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") {
      if (/^[0-9a-f]{24}:[0-9a-f]{24}$/.test(value[1]))
        return { createdAt: new Date(value[0]), id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new DomainError("VALIDATION_ERROR", "Invalid input: cursor: is not a cursor from this API", {
    issues: [{ path: "cursor", message: "is not a cursor from this API" }],
  });
}

function toView(s: WebhookSubscription): WebhookView {
  const until =
    s.previousSecretUntil && s.previousSecretUntil.getTime() > Date.now() ? s.previousSecretUntil : null;
  return {
    id: s.id,
    url: s.url,
    event_types: s.eventTypes,
    description: s.description,
    enabled: s.enabled,
    disabled_reason: s.disabledReason,
    failure_streak: s.failureStreak,
    last_success_at: iso(s.lastSuccessAt),
    previous_secret_valid_until: iso(until),
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

function toDeliveryView(d: WebhookDelivery): WebhookDeliveryView {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    duration_ms: d.durationMs,
    created_at: d.createdAt.toISOString(),
    delivered_at: iso(d.deliveredAt),
  };
}

export const webhookNotFound = (id: string) =>
  new DomainError("WEBHOOK_NOT_FOUND", `No webhook subscription has the id ${id}.`);

const badUrl = (problem: string) =>
  new DomainError("VALIDATION_ERROR", `Invalid input: url: ${problem}`, {
    issues: [{ path: "url", message: problem }],
  });

export type WebhookManagement = ReturnType<typeof createWebhookManagement>;

/**
 * Webhook subscriptions, managed by an operator: create (the secret is shown once), list,
 * get, update, rotate the secret, delete, send a test event, and the delivery log.
 */
export function createWebhookManagement(deps: {
  subscriptions: WebhookSubscriptionStore;
  deliveries: Pick<WebhookDeliveryStore, "createMany" | "listForSubscription" | "discardForSubscription">;
  keys: Pick<Keyring, "seal">;
  policy: TargetPolicy;
  newEventId: () => string;
  /** Wakes the delivery worker (a test event is due at once). */
  wake: () => void;
}) {
  const { subscriptions } = deps;
  const find = async (id: string) => {
    const found = await subscriptions.get(id);
    if (!found) throw webhookNotFound(id);
    return found;
  };
  const checkUrl = (url: string) => {
    const problem = urlProblem(url, deps.policy);
    if (problem) throw badUrl(problem);
  };

  return {
    async create(input: CreateWebhookInput): Promise<WebhookWithSecret> {
      checkUrl(input.url);
      const secret = newWebhookSecret();
      const created = await subscriptions.create({
        id: subscriptions.newId(),
        url: input.url,
        eventTypes: input.event_types,
        enabled: input.enabled,
        description: input.description ?? null,
        secretSealed: deps.keys.seal(secret),
        previousSecretSealed: null,
        previousSecretUntil: null,
        failureStreak: 0,
        failingSince: null,
        lastSuccessAt: null,
        disabledReason: null,
      });
      return { ...toView(created), secret };
    },
    async list(): Promise<{ items: WebhookView[] }> {
      return { items: (await subscriptions.list()).map(toView) };
    },
    async get({ id }: { id: string }): Promise<WebhookView> {
      return toView(await find(id));
    },
    async update({ id, url, event_types, description, enabled }: UpdateWebhookInput): Promise<WebhookView> {
      if (url !== undefined) checkUrl(url);
      const updated = await subscriptions.update(id, {
        ...(url !== undefined ? { url } : {}),
        ...(event_types !== undefined ? { eventTypes: event_types } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(enabled !== undefined ? { enabled, disabledReason: null } : {}),
        ...(enabled === true ? { failureStreak: 0, failingSince: null } : {}),
      });
      if (!updated) throw webhookNotFound(id);
      return toView(updated);
    },
    async rotateSecret({ id, keep_previous_hours }: RotateWebhookSecretInput): Promise<WebhookWithSecret> {
      const current = await find(id);
      const secret = newWebhookSecret();
      const keep = keep_previous_hours > 0;
      const updated = await subscriptions.update(id, {
        secretSealed: deps.keys.seal(secret),
        previousSecretSealed: keep ? current.secretSealed : null,
        previousSecretUntil: keep ? new Date(Date.now() + keep_previous_hours * 3_600_000) : null,
      });
      if (!updated) throw webhookNotFound(id);
      return { ...toView(updated), secret };
    },
    async remove({ id }: { id: string }): Promise<{ message: string }> {
      if (!(await subscriptions.remove(id))) throw webhookNotFound(id);
      await deps.deliveries.discardForSubscription(id);
      return { message: "Webhook subscription deleted." };
    },
    /** Queues a `webhook.test` event for this subscription alone (never audited). */
    async sendTest({ id }: { id: string }) {
      const subscription = await find(id);
      const eventId = deps.newEventId();
      const event = webhookEventOf(
        { id: eventId, type: "webhook.test", userId: null, details: {}, timestamp: new Date() },
        null,
      );
      const deliveryId = deliveryIdOf(eventId, subscription.id);
      await deps.deliveries.createMany([
        {
          id: deliveryId,
          subscriptionId: subscription.id,
          eventId,
          eventType: "webhook.test",
          payload: JSON.stringify(event),
        },
      ]);
      deps.wake();
      return { message: "A test event was queued.", event_id: eventId, delivery_id: deliveryId };
    },
    async deliveries(input: ListDeliveriesInput) {
      await find(input.id);
      const after = input.cursor ? decodeCursor(input.cursor) : undefined;
      const records = await deps.deliveries.listForSubscription(input.id, { limit: input.limit, after });
      const page = records.slice(0, input.limit);
      const last = page[page.length - 1];
      return {
        items: page.map(toDeliveryView),
        next_cursor: records.length > input.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
  };
}

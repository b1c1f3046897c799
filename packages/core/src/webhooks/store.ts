import type { EventType } from "../events/catalogue";

/** A webhook subscription as stored; secrets sealed with the keyring. */
export type WebhookSubscription = {
  id: string;
  url: string;
  eventTypes: EventType[];
  enabled: boolean;
  description: string | null;
  secretSealed: string;
  /** The secret before the last rotation, still signing beside the new one until `previousSecretUntil`. */
  previousSecretSealed: string | null;
  previousSecretUntil: Date | null;
  /** Failed attempts since the last success. */
  failureStreak: number;
  /** The first failure since the last success; null while healthy. */
  failingSince: Date | null;
  lastSuccessAt: Date | null;
  /** Why it was disabled automatically (null when enabled, or disabled by an operator). */
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export type SubscriptionChanges = Partial<
  Pick<
    WebhookSubscription,
    | "url"
    | "eventTypes"
    | "enabled"
    | "description"
    | "secretSealed"
    | "previousSecretSealed"
    | "previousSecretUntil"
    | "failureStreak"
    | "failingSince"
    | "disabledReason"
  >
>;

/** Port: webhook subscriptions (persistence/webhook-repository.ts for MongoDB). */
export interface WebhookSubscriptionStore {
  newId(): string;
  create(subscription: Omit<WebhookSubscription, "createdAt" | "updatedAt">): Promise<WebhookSubscription>;
  get(id: string): Promise<WebhookSubscription | null>;
  /** Every subscription, oldest first (an operator manages a handful). */
  list(): Promise<WebhookSubscription[]>;
  update(id: string, changes: SubscriptionChanges): Promise<WebhookSubscription | null>;
  remove(id: string): Promise<boolean>;
  /** A delivery attempt's outcome: a success ends the failure streak, a failure extends it. */
  recordOutcome(id: string, outcome: { ok: boolean; at: Date }): Promise<WebhookSubscription | null>;
}

export const deliveryStatuses = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** One event for one subscription: `id` is `<event id>:<subscription id>` (fan-out makes each once). */
export type WebhookDelivery = {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: EventType;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  lastStatusCode: number | null;
  durationMs: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
};

/** A leased delivery with its body (the exact JSON that is signed and sent). */
export type ClaimedDelivery = WebhookDelivery & { payload: string };

export type NewDelivery = Pick<WebhookDelivery, "id" | "subscriptionId" | "eventId" | "eventType"> & {
  payload: string;
};

export type DeliveryStats = { pending: number; failed: number; oldestPendingAt: Date | null };

/** Port: the outbox of webhook deliveries, leased like the email outbox. */
export interface WebhookDeliveryStore {
  /** Stores deliveries (bodies sealed at rest); ids stored before are left as they are. */
  createMany(deliveries: readonly NewDelivery[]): Promise<void>;
  /** Leases the oldest due delivery to `owner` for `leaseMs`. */
  claimNext(owner: string, leaseMs: number): Promise<ClaimedDelivery | null>;
  markDelivered(id: string, owner: string, result: { statusCode: number; durationMs: number }): Promise<void>;
  retryLater(
    id: string,
    owner: string,
    result: { at: Date; error: string; statusCode: number | null; durationMs: number | null },
  ): Promise<void>;
  markFailed(
    id: string,
    owner: string,
    result: { error: string; statusCode: number | null; durationMs: number | null },
  ): Promise<void>;
  /** A subscription's deliveries, newest first (created time, then id); up to `limit + 1`. */
  listForSubscription(
    subscriptionId: string,
    page: { limit: number; after?: { createdAt: Date; id: string } | undefined },
  ): Promise<WebhookDelivery[]>;
  discardForSubscription(subscriptionId: string): Promise<void>;
  stats(): Promise<DeliveryStats>;
  /** Deletes delivered and failed deliveries finished before `before`; returns how many. */
  purgeFinished(before: Date): Promise<number>;
}

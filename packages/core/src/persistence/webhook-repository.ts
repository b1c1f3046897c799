import mongoose, { type Connection, Schema, Types } from "mongoose";
import { claimKeys } from "../claim-keys";
import type { EventType } from "../events/catalogue";
import type { Keyring } from "../keyring";
import type { ClaimStore } from "../ports";
import type {
  SubscriptionChanges,
  WebhookDelivery,
  WebhookDeliveryStore,
  WebhookSubscription,
  WebhookSubscriptionStore,
} from "../webhooks/store";
import { createLeases } from "./leases";

type SubscriptionDocument = {
  _id: Types.ObjectId;
  url: string;
  event_types: EventType[];
  enabled: boolean;
  description: string | null;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_until: Date | null;
  failure_streak: number;
  failing_since: Date | null;
  last_success_at: Date | null;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
};

const subscriptionSchema = new Schema<SubscriptionDocument>(
  {
    url: { type: String, required: true },
    event_types: { type: [String], required: true },
    enabled: { type: Boolean, required: true },
    description: { type: String, default: null },
    secret_enc: { type: String, required: true },
    previous_secret_enc: { type: String, default: null },
    previous_secret_until: { type: Date, default: null },
    failure_streak: { type: Number, default: 0 },
    failing_since: { type: Date, default: null },
    last_success_at: { type: Date, default: null },
    disabled_reason: { type: String, default: null },
  },
  {
    collection: "webhook_subscriptions",
    strict: "throw",
    versionKey: false,
    timestamps: { createdAt: "created_at", updatedAt: "updated_at" },
  },
);

type DeliveryDocument = {
  _id: string;
  subscription_id: string;
  event_id: string;
  event_type: EventType;
  payload_enc?: string;
  status: WebhookDelivery["status"];
  attempts: number;
  lease_gen: number;
  next_attempt_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  last_error: string | null;
  last_status_code: number | null;
  duration_ms: number | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const deliverySchema = new Schema<DeliveryDocument>(
  {
    _id: { type: String, required: true },
    subscription_id: { type: String, required: true },
    event_id: { type: String, required: true },
    event_type: { type: String, required: true },
    payload_enc: { type: String },
    status: { type: String, required: true, default: "pending" },
    attempts: { type: Number, required: true, default: 0 },
    lease_gen: { type: Number, required: true, default: 0 },
    next_attempt_at: { type: Date, required: true },
    lease_owner: { type: String, default: null },
    lease_until: { type: Date, default: null },
    last_error: { type: String, default: null },
    last_status_code: { type: Number, default: null },
    duration_ms: { type: Number, default: null },
    delivered_at: { type: Date, default: null },
  },
  {
    collection: "webhook_deliveries",
    strict: "throw",
    versionKey: false,
    timestamps: { createdAt: "created_at", updatedAt: "updated_at" },
  },
);
deliverySchema.index({ status: 1, next_attempt_at: 1 });
deliverySchema.index({ subscription_id: 1, created_at: -1, _id: -1 });
deliverySchema.index({ status: 1, updated_at: 1 });

const toSubscription = (doc: SubscriptionDocument): WebhookSubscription => ({
  id: doc._id.toHexString(),
  url: doc.url,
  eventTypes: doc.event_types,
  enabled: doc.enabled,
  description: doc.description,
  secretSealed: doc.secret_enc,
  previousSecretSealed: doc.previous_secret_enc,
  previousSecretUntil: doc.previous_secret_until,
  failureStreak: doc.failure_streak,
  failingSince: doc.failing_since,
  lastSuccessAt: doc.last_success_at,
  disabledReason: doc.disabled_reason,
  createdAt: doc.created_at,
  updatedAt: doc.updated_at,
});

const toDelivery = (doc: DeliveryDocument): WebhookDelivery => ({
  id: doc._id,
  subscriptionId: doc.subscription_id,
  eventId: doc.event_id,
  eventType: doc.event_type,
  status: doc.status,
  attempts: doc.attempts,
  nextAttemptAt: doc.next_attempt_at,
  lastError: doc.last_error,
  lastStatusCode: doc.last_status_code,
  durationMs: doc.duration_ms,
  createdAt: doc.created_at,
  deliveredAt: doc.delivered_at,
});

const changesToSet = (changes: SubscriptionChanges): Partial<SubscriptionDocument> => {
  const map: Record<keyof SubscriptionChanges, keyof SubscriptionDocument> = {
    url: "url",
    eventTypes: "event_types",
    enabled: "enabled",
    description: "description",
    secretSealed: "secret_enc",
    previousSecretSealed: "previous_secret_enc",
    previousSecretUntil: "previous_secret_until",
    failureStreak: "failure_streak",
    failingSince: "failing_since",
    disabledReason: "disabled_reason",
  };
  return Object.fromEntries(
    Object.entries(changes)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [map[key as keyof SubscriptionChanges], value]),
  ) as Partial<SubscriptionDocument>;
};

const isObjectId = (id: string) => /^[0-9a-fA-F]{24}$/.test(id);

/** The webhook models of a connection (also used by key rotation). */
export function webhookModels(connection: Connection) {
  const existingS: mongoose.Model<SubscriptionDocument> | undefined = connection.models.WebhookSubscription;
  const existingD: mongoose.Model<DeliveryDocument> | undefined = connection.models.WebhookDelivery;
  return {
    Subscriptions:
      existingS ?? connection.model<SubscriptionDocument>("WebhookSubscription", subscriptionSchema),
    Deliveries: existingD ?? connection.model<DeliveryDocument>("WebhookDelivery", deliverySchema),
  };
}

export type { DeliveryDocument, SubscriptionDocument };

/**
 * The MongoDB adapters of webhooks: subscriptions (`webhook_subscriptions`, secrets sealed
 * with the keyring by the use cases) and the delivery outbox (`webhook_deliveries`, bodies
 * sealed here, leased with claims like the email outbox).
 */
export function createWebhookRepository(deps: {
  connection: Connection;
  claims: ClaimStore;
  keys: Pick<Keyring, "seal" | "open">;
}): {
  subscriptions: WebhookSubscriptionStore;
  deliveries: WebhookDeliveryStore;
  ensureIndexes(): Promise<void>;
} {
  const { connection, keys } = deps;
  const { Subscriptions, Deliveries } = webhookModels(connection);
  const { trusted } = mongoose; // operators we mean, under sanitizeFilter
  const leases = createLeases(deps.claims);
  const leaseGroup = (id: string, gen: number) => claimKeys.webhookLeases(id, gen);

  /** Ends a lease: the owner's write, then the generation's lease claims go. */
  const finish = async (id: string, owner: string, update: Record<string, unknown>) => {
    const before = await Deliveries.findById(id, { lease_gen: 1 })
      .lean<Pick<DeliveryDocument, "lease_gen">>()
      .exec();
    await Deliveries.updateOne({ _id: id, lease_owner: owner }, update).exec();
    if (before) await leases.release(leaseGroup(id, before.lease_gen));
  };

  const subscriptions: WebhookSubscriptionStore = {
    newId: () => new Types.ObjectId().toHexString(),
    async create(s) {
      const doc = await Subscriptions.create({
        _id: new Types.ObjectId(s.id),
        url: s.url,
        event_types: s.eventTypes,
        enabled: s.enabled,
        description: s.description,
        secret_enc: s.secretSealed,
        previous_secret_enc: s.previousSecretSealed,
        previous_secret_until: s.previousSecretUntil,
        failure_streak: s.failureStreak,
        failing_since: s.failingSince,
        last_success_at: s.lastSuccessAt,
        disabled_reason: s.disabledReason,
      });
      return toSubscription(doc.toObject());
    },
    async get(id) {
      if (!isObjectId(id)) return null;
      const doc = await Subscriptions.findById(id).lean<SubscriptionDocument>().exec();
      return doc ? toSubscription(doc) : null;
    },
    async list() {
      const docs = await Subscriptions.find({}).sort({ _id: 1 }).lean<SubscriptionDocument[]>().exec();
      return docs.map(toSubscription);
    },
    async update(id, changes) {
      if (!isObjectId(id)) return null;
      const doc = await Subscriptions.findByIdAndUpdate(
        id,
        { $set: changesToSet(changes) },
        { returnDocument: "after" },
      )
        .lean<SubscriptionDocument>()
        .exec();
      return doc ? toSubscription(doc) : null;
    },
    async remove(id) {
      if (!isObjectId(id)) return false;
      const result = await Subscriptions.deleteOne({ _id: new Types.ObjectId(id) }).exec();
      return result.deletedCount > 0;
    },
    async recordOutcome(id, { ok, at }) {
      // Display and thresholds only: a concurrent $inc lost on FerretDB delays a disabling by one failure.
      const update = ok
        ? { $set: { failure_streak: 0, failing_since: null, last_success_at: at } }
        : { $inc: { failure_streak: 1 } };
      const doc = await Subscriptions.findByIdAndUpdate(id, update, { returnDocument: "after" })
        .lean<SubscriptionDocument>()
        .exec();
      if (doc && !ok && doc.failing_since === null) {
        await Subscriptions.updateOne(
          { _id: doc._id, failing_since: null },
          { $set: { failing_since: at } },
        ).exec();
        return toSubscription({ ...doc, failing_since: at });
      }
      return doc ? toSubscription(doc) : null;
    },
  };

  const deliveries: WebhookDeliveryStore = {
    async createMany(list) {
      if (list.length === 0) return;
      const now = new Date();
      const docs = list.map((d) => ({
        _id: d.id,
        subscription_id: d.subscriptionId,
        event_id: d.eventId,
        event_type: d.eventType,
        payload_enc: keys.seal(d.payload),
        status: "pending" as const,
        attempts: 0,
        lease_gen: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        last_status_code: null,
        duration_ms: null,
        delivered_at: null,
        created_at: now,
        updated_at: now,
      }));
      try {
        await Deliveries.collection.insertMany(docs as never[], { ordered: false });
      } catch (error) {
        // Fan-out ran twice for these events: the ones already there stay as they are.
        const writeErrors = (error as { writeErrors?: { code?: number }[] }).writeErrors;
        const code = (error as { code?: number }).code;
        const onlyDuplicates = writeErrors ? writeErrors.every((e) => e.code === 11000) : code === 11000;
        if (!onlyDuplicates) throw error;
      }
    },
    async claimNext(owner, leaseMs) {
      const now = new Date();
      const candidates = await Deliveries.find({
        status: "pending",
        next_attempt_at: trusted({ $lte: now }),
        $or: [{ lease_until: null }, { lease_until: trusted({ $lte: now }) }],
      })
        .sort({ next_attempt_at: 1 })
        .limit(8)
        .lean<DeliveryDocument[]>()
        .exec();
      for (const doc of candidates) {
        if (!(await leases.take(leaseGroup(doc._id, doc.lease_gen), leaseMs))) continue;
        const current = await Deliveries.findById(doc._id).lean<DeliveryDocument>().exec();
        if (current?.status !== "pending" || current.lease_gen !== doc.lease_gen) continue;
        await Deliveries.updateOne(
          { _id: doc._id },
          { $set: { lease_owner: owner, lease_until: new Date(Date.now() + leaseMs) } },
        ).exec();
        let payload: string;
        try {
          payload = keys.open(current.payload_enc ?? "").plaintext;
        } catch {
          await finish(doc._id, owner, {
            $set: { status: "failed", last_error: "cannot decrypt", lease_owner: null, lease_until: null },
            $unset: { payload_enc: 1 },
            $inc: { lease_gen: 1 },
          });
          continue;
        }
        return { ...toDelivery(current), payload };
      }
      return null;
    },
    markDelivered: (id, owner, { statusCode, durationMs }) =>
      finish(id, owner, {
        $set: {
          status: "delivered",
          delivered_at: new Date(),
          last_status_code: statusCode,
          duration_ms: durationMs,
          last_error: null,
          lease_owner: null,
          lease_until: null,
        },
        $unset: { payload_enc: 1 },
        $inc: { lease_gen: 1 },
      }),
    markFailed: (id, owner, { error, statusCode, durationMs }) =>
      finish(id, owner, {
        $set: {
          status: "failed",
          last_error: error.slice(0, 500),
          last_status_code: statusCode,
          duration_ms: durationMs,
          lease_owner: null,
          lease_until: null,
        },
        $unset: { payload_enc: 1 },
        $inc: { lease_gen: 1, attempts: 1 },
      }),
    retryLater: (id, owner, { at, error, statusCode, durationMs }) =>
      finish(id, owner, {
        $set: {
          next_attempt_at: at,
          last_error: error.slice(0, 500),
          last_status_code: statusCode,
          duration_ms: durationMs,
          lease_owner: null,
          lease_until: null,
        },
        $inc: { lease_gen: 1, attempts: 1 },
      }),
    async listForSubscription(subscriptionId, { limit, after }) {
      const filter: Record<string, unknown> = { subscription_id: subscriptionId };
      if (after) {
        filter.$or = [
          { created_at: trusted({ $lt: after.createdAt }) },
          { created_at: after.createdAt, _id: trusted({ $lt: after.id }) },
        ];
      }
      const docs = await Deliveries.find(filter, { payload_enc: 0 })
        .sort({ created_at: -1, _id: -1 })
        .limit(limit + 1)
        .lean<DeliveryDocument[]>()
        .exec();
      return docs.map(toDelivery);
    },
    async discardForSubscription(subscriptionId) {
      await Deliveries.deleteMany({ subscription_id: subscriptionId }).exec();
    },
    async stats() {
      const [pending, failed, oldest] = await Promise.all([
        Deliveries.countDocuments({ status: "pending" }).exec(),
        Deliveries.countDocuments({ status: "failed" }).exec(),
        Deliveries.findOne({ status: "pending" }, { created_at: 1 })
          .sort({ created_at: 1 })
          .lean<DeliveryDocument>()
          .exec(),
      ]);
      return { pending, failed, oldestPendingAt: oldest?.created_at ?? null };
    },
    async purgeFinished(before) {
      const result = await Deliveries.deleteMany({
        status: trusted({ $in: ["delivered", "failed"] }),
        updated_at: trusted({ $lt: before }),
      }).exec();
      return result.deletedCount;
    },
  };

  return {
    subscriptions,
    deliveries,
    async ensureIndexes() {
      await Subscriptions.createCollection();
      await Deliveries.createCollection();
      await Promise.all([Subscriptions.createIndexes(), Deliveries.createIndexes()]);
    },
  };
}

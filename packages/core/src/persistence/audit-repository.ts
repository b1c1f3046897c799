import mongoose, { type Connection, Schema, Types } from "mongoose";
import type { AuditEvent, AuditStore } from "../events/audit-store";
import type { EventType } from "../events/catalogue";

/** The mark of an event the webhook fan-out has yet to handle. */
const pending = "pending" as const;

type AuditDocument = {
  _id: Types.ObjectId;
  type: EventType;
  user_id: Types.ObjectId | null;
  actor: string | null;
  client_ip: string | null;
  request_id: string | null;
  details: AuditEvent["details"];
  timestamp: Date;
  /**
   * "pending" until the webhook fan-out has made the event's deliveries; then removed. A
   * string, not `true`: FerretDB (local and CI) pushes only string equalities down to its
   * index, and a boolean filter decoded the whole collection twice per fan-out.
   */
  fanout?: typeof pending;
};

const auditSchema = new Schema<AuditDocument>(
  {
    type: { type: String, required: true },
    user_id: { type: Schema.Types.ObjectId, default: null },
    actor: { type: String, default: null },
    client_ip: { type: String, default: null },
    request_id: { type: String, default: null },
    details: { type: Schema.Types.Mixed, default: {} },
    timestamp: { type: Date, required: true },
    fanout: { type: String, enum: ["pending"] },
  },
  { collection: "audit_events", versionKey: false, strict: "throw", minimize: false },
);
// Keyset listing, newest first: all events, one user's, one type's.
auditSchema.index({ timestamp: -1, _id: -1 });
auditSchema.index({ user_id: 1, timestamp: -1, _id: -1 });
auditSchema.index({ type: 1, timestamp: -1, _id: -1 });
// The fan-out's queue: one key and sparse, so that it holds only the pending events (a few),
// not every event of the retention period (a compound sparse index would hold every event:
// all have `_id`); the pending few are sorted by `_id` in memory. Not the former index's
// keys, which MongoDB would refuse with other options, so an earlier version (a rollback, an
// old instance restarting during a rolling deploy) can still create its own at start.
const fanoutIndex = { key: { fanout: 1 }, name: "fanout_pending" } as const;
auditSchema.index(fanoutIndex.key, { name: fanoutIndex.name, sparse: true });

const isDuplicateKey = (error: unknown) => error instanceof Error && "code" in error && error.code === 11000;

const toEvent = (doc: AuditDocument): AuditEvent => ({
  id: doc._id.toHexString(),
  type: doc.type,
  userId: doc.user_id ? doc.user_id.toHexString() : null,
  actor: doc.actor,
  clientIp: doc.client_ip,
  requestId: doc.request_id,
  details: doc.details ?? {},
  timestamp: doc.timestamp,
});

/** The MongoDB adapter of the audit trail (`audit_events`). */
export function createAuditRepository(
  connection: Connection,
  options: { legacyMarkEveryMs?: number } = {},
): AuditStore & { ensureIndexes(): Promise<void> } {
  /**
   * How often the fan-out also takes the events an earlier version queued as `fanout: true`
   * (before an upgrade, or by its instances still running during a rolling deploy): a query
   * FerretDB answers by scanning the collection, so not at every poll.
   */
  const legacyMarkEveryMs = options.legacyMarkEveryMs ?? 60_000;
  let legacyMarksTakenAt = Number.NEGATIVE_INFINITY;
  const existing: mongoose.Model<AuditDocument> | undefined = connection.models.AuditEvent;
  const Events = existing ?? connection.model<AuditDocument>("AuditEvent", auditSchema);
  const { trusted } = mongoose; // operators we mean, under sanitizeFilter
  const toDocument = (event: AuditEvent): AuditDocument => ({
    _id: new Types.ObjectId(event.id),
    type: event.type,
    user_id: event.userId ? new Types.ObjectId(event.userId) : null,
    actor: event.actor,
    client_ip: event.clientIp,
    request_id: event.requestId,
    details: event.details,
    timestamp: event.timestamp,
    fanout: pending,
  });
  return {
    newId: () => new Types.ObjectId().toHexString(),
    async insert(event) {
      try {
        await Events.collection.insertOne(toDocument(event));
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    },
    async insertMany(events) {
      if (events.length === 0) return;
      try {
        await Events.collection.insertMany(events.map(toDocument), { ordered: false });
      } catch (error) {
        // A retried batch: the events already there stay, the others were stored.
        const writeErrors = (error as { writeErrors?: { code?: number }[] }).writeErrors;
        const onlyDuplicates = writeErrors
          ? writeErrors.every((e) => e.code === 11000)
          : isDuplicateKey(error);
        if (!onlyDuplicates) throw error;
      }
    },
    async list({ limit, after, userId, type, from, to }) {
      const and: Record<string, unknown>[] = [];
      if (userId) and.push({ user_id: new Types.ObjectId(userId) });
      if (type) and.push({ type });
      if (from) and.push({ timestamp: trusted({ $gte: from }) });
      if (to) and.push({ timestamp: trusted({ $lt: to }) });
      if (after) {
        const afterId = new Types.ObjectId(after.id);
        and.push({
          $or: [
            { timestamp: trusted({ $lt: after.timestamp }) },
            { timestamp: after.timestamp, _id: trusted({ $lt: afterId }) },
          ],
        });
      }
      const docs = await Events.find(and.length > 0 ? { $and: and } : {})
        .sort({ timestamp: -1, _id: -1 })
        .limit(limit + 1)
        .lean<AuditDocument[]>()
        .exec();
      return docs.map(toEvent);
    },
    async pendingFanout(limit) {
      if (Date.now() - legacyMarksTakenAt >= legacyMarkEveryMs) {
        await Events.collection.updateMany({ fanout: true }, { $set: { fanout: pending } });
        legacyMarksTakenAt = Date.now();
      }
      const docs = await Events.find({ fanout: pending })
        .sort({ _id: 1 })
        .limit(limit)
        .lean<AuditDocument[]>()
        .exec();
      return docs.map(toEvent);
    },
    async markFannedOut(ids) {
      if (ids.length === 0) return;
      // One update statement per event, in one command: each finds its event by `_id`
      // (FerretDB scans the collection for an `$in`).
      await Events.collection.bulkWrite(
        ids.map((id) => ({
          updateOne: { filter: { _id: new Types.ObjectId(id) }, update: { $unset: { fanout: "" } } },
        })),
        { ordered: false },
      );
    },
    async purgeBefore(before) {
      const result = await Events.deleteMany({ timestamp: trusted({ $lt: before }) }).exec();
      return result.deletedCount;
    },
    async ensureIndexes() {
      await Events.createCollection();
      // Earlier indexes of the queue: the first version's (`fanout_1__id_1`, every event),
      // and a `fanout_pending` of other keys (a build of issue 21's work in progress).
      const stale = (await Events.collection.indexes()).filter(
        (index) =>
          index.name === "fanout_1__id_1" ||
          (index.name === fanoutIndex.name && JSON.stringify(index.key) !== JSON.stringify(fanoutIndex.key)),
      );
      for (const index of stale) {
        await Events.collection.dropIndex(index.name ?? "").catch((error: unknown) => {
          // Dropped meanwhile by another instance starting: IndexNotFound.
          const notFound =
            error instanceof Error &&
            (("codeName" in error && error.codeName === "IndexNotFound") ||
              ("code" in error && error.code === 27));
          if (!notFound) throw error;
        });
      }
      await Events.createIndexes();
    },
  };
}

import mongoose, { type Connection, Schema } from "mongoose";
import type { ThrottleLock, ThrottleLockStore } from "../ports";
import { claimWriteTimeoutMs, type WriteConcernOption } from "./claim-store";
import { isDuplicateKey } from "./user-updates";

type LockDocument = { _id: string; until: Date; level: number; forget_at: Date };

const lockSchema = new Schema<LockDocument>(
  {
    _id: { type: String, required: true },
    until: { type: Date, required: true },
    level: { type: Number, required: true },
    forget_at: { type: Date, required: true, index: true },
  },
  { collection: "throttle_locks", versionKey: false, strict: "throw" },
);

/**
 * The MongoDB adapter of throttle locks (collection `throttle_locks`): one document per
 * throttled key, its key as `_id`, written with the claims' write concern (a lock is the
 * record of a decision a claim made).
 */
export function createThrottleLockStore(
  connection: Connection,
  options: { writeConcern?: WriteConcernOption } = {},
): ThrottleLockStore & { ensureIndexes(): Promise<void> } {
  const existing: mongoose.Model<LockDocument> | undefined = connection.models.ThrottleLock;
  const Locks = existing ?? connection.model<LockDocument>("ThrottleLock", lockSchema);
  const writeConcern = { w: options.writeConcern ?? "majority", wtimeoutMS: claimWriteTimeoutMs };
  const replace = (key: string, lock: ThrottleLock) =>
    Locks.replaceOne(
      { _id: key },
      { until: lock.until, level: lock.level, forget_at: lock.forgetAt },
      { upsert: true, writeConcern },
    ).exec();
  return {
    async find(key) {
      const doc = await Locks.findById(key).lean<LockDocument>().exec();
      return doc && { until: doc.until, level: doc.level, forgetAt: doc.forget_at };
    },
    async save(key, lock) {
      try {
        await replace(key, lock);
      } catch (error) {
        // Two first upserts of one key: the loser replaces the winner's document.
        if (!isDuplicateKey(error)) throw error;
        await replace(key, lock);
      }
    },
    async remove(key) {
      await Locks.deleteOne({ _id: key }).exec();
    },
    async sweep() {
      const result = await Locks.deleteMany({ forget_at: mongoose.trusted({ $lt: new Date() }) }).exec();
      return result.deletedCount;
    },
    async ensureIndexes() {
      await Locks.createCollection();
      await Locks.createIndexes();
    },
  };
}

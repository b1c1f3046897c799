import mongoose, { type Connection, Schema } from "mongoose";

/**
 * Exactly-once decisions without transactions. A claim is a document whose `_id` is the
 * decision's key: inserting it succeeds for exactly one caller, everywhere (MongoDB and
 * FerretDB enforce `_id` uniqueness atomically). We use it where a conditional update
 * would be the usual tool, because FerretDB v1 does not apply `findOneAndUpdate`/
 * `updateOne` filters atomically with their writes (two concurrent guarded updates can
 * both win there).
 */
export interface ClaimStore {
  /**
   * True for the one caller that claims `key` first; false for every other. A claim with
   * `expiresAt` is removed by `sweep` after that time (no TTL index: FerretDB has none).
   */
  claim(key: string, group: string, expiresAt?: Date): Promise<boolean>;
  /** When `key` was claimed, or null when it is free. */
  claimedAt(key: string): Promise<Date | null>;
  /** How many claims a group holds. */
  count(group: string): Promise<number>;
  /** Frees one claim (e.g. when the work it guarded failed and may be retried). */
  release(key: string): Promise<void>;
  /** Frees the given claims (by key: cheap, unlike a group scan on FerretDB). */
  releaseKeys(keys: readonly string[]): Promise<void>;
  /** Forgets every claim of a group (e.g. when what it guarded is gone). */
  releaseGroup(group: string): Promise<void>;
  /** Deletes expired claims; returns how many. */
  sweep(): Promise<number>;
  ensureIndexes(): Promise<void>;
}

type ClaimDocument = { _id: string; group: string; created_at: Date; expires_at: Date | null };

const claimSchema = new Schema<ClaimDocument>(
  {
    _id: { type: String, required: true },
    group: { type: String, required: true, index: true },
    created_at: { type: Date, required: true },
    expires_at: { type: Date, default: null, index: true },
  },
  { collection: "claims", versionKey: false, strict: "throw" },
);

const isDuplicateKey = (error: unknown) => error instanceof Error && "code" in error && error.code === 11000;

export function createClaimStore(connection: Connection): ClaimStore {
  const existing: mongoose.Model<ClaimDocument> | undefined = connection.models.Claim;
  const Claims = existing ?? connection.model<ClaimDocument>("Claim", claimSchema);
  return {
    async claim(key, group, expiresAt) {
      try {
        await Claims.create({ _id: key, group, created_at: new Date(), expires_at: expiresAt ?? null });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    async claimedAt(key) {
      const doc = await Claims.findById(key).lean<ClaimDocument>().exec();
      return doc?.created_at ?? null;
    },
    count: (group) => Claims.countDocuments({ group }).exec(),
    async release(key) {
      await Claims.deleteOne({ _id: key }).exec();
    },
    async releaseKeys(keys) {
      await Claims.deleteMany({ _id: mongoose.trusted({ $in: [...keys] }) }).exec();
    },
    async releaseGroup(group) {
      await Claims.deleteMany({ group }).exec();
    },
    async sweep() {
      const result = await Claims.deleteMany({
        expires_at: mongoose.trusted({ $ne: null, $lt: new Date() }),
      }).exec();
      return result.deletedCount;
    },
    async ensureIndexes() {
      await Claims.createCollection();
      await Claims.createIndexes();
    },
  };
}

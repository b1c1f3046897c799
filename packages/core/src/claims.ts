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
  /** True for the one caller that claims `key` first; false for every other. */
  claim(key: string, group: string): Promise<boolean>;
  /** Forgets every claim of a group (e.g. when what it guarded is gone). */
  releaseGroup(group: string): Promise<void>;
  ensureIndexes(): Promise<void>;
}

type ClaimDocument = { _id: string; group: string; created_at: Date };

const claimSchema = new Schema<ClaimDocument>(
  {
    _id: { type: String, required: true },
    group: { type: String, required: true, index: true },
    created_at: { type: Date, required: true },
  },
  { collection: "claims", versionKey: false, strict: "throw" },
);

const isDuplicateKey = (error: unknown) => error instanceof Error && "code" in error && error.code === 11000;

export function createClaimStore(connection: Connection): ClaimStore {
  const existing: mongoose.Model<ClaimDocument> | undefined = connection.models.Claim;
  const Claims = existing ?? connection.model<ClaimDocument>("Claim", claimSchema);
  return {
    async claim(key, group) {
      try {
        await Claims.create({ _id: key, group, created_at: new Date() });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    async releaseGroup(group) {
      await Claims.deleteMany({ group }).exec();
    },
    async ensureIndexes() {
      await Claims.createCollection();
      await Claims.createIndexes();
    },
  };
}

import mongoose, { type Connection, Schema } from "mongoose";
import type { ClaimStore } from "../ports";

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

/** A MongoDB write concern's `w`: "majority" or a number of members. */
export type WriteConcernOption = "majority" | number;

const isDuplicateKey = (error: unknown) => error instanceof Error && "code" in error && error.code === 11000;

/** How long a claim (or throttle lock) write waits for its write concern. */
export const claimWriteTimeoutMs = 5_000;

/**
 * The MongoDB adapter of the claim store: one document per claim, its key as `_id`. Claims
 * are inserted with `writeConcern` (default "majority"): a claim acknowledged by the primary
 * alone could be rolled back by a failover, and the decision made twice.
 */
export function createClaimStore(
  connection: Connection,
  options: { writeConcern?: WriteConcernOption } = {},
): ClaimStore & { ensureIndexes(): Promise<void> } {
  const existing: mongoose.Model<ClaimDocument> | undefined = connection.models.Claim;
  const Claims = existing ?? connection.model<ClaimDocument>("Claim", claimSchema);
  // Bounded: without a majority (a secondary down in a PSA set) a claim answers an outage in
  // seconds instead of waiting for the socket timeout.
  const writeConcern = { w: options.writeConcern ?? "majority", wtimeoutMS: claimWriteTimeoutMs };
  // The driver's insert: mongoose's save() would drop a per-call write concern.
  const insert = (doc: ClaimDocument) =>
    (Claims.collection as unknown as mongoose.mongo.Collection<ClaimDocument>).insertOne(doc, {
      writeConcern,
    });
  return {
    async claim(key, group, expiresAt) {
      try {
        const doc = { _id: key, group, created_at: new Date(), expires_at: expiresAt ?? null };
        await insert(doc);
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

import { type Connection, type Model, Schema, Types } from "mongoose";

import type { ResetTokenRecord, ResetTokenStore } from "../ports";

type ResetTokenDocument = {
  _id: Types.ObjectId;
  user_id: Types.ObjectId;
  token_hash: string;
  expires_at: Date;
  created_at: Date;
};

const resetTokenSchema = new Schema<ResetTokenDocument>(
  {
    user_id: { type: Schema.Types.ObjectId, required: true, index: true },
    token_hash: { type: String, required: true, unique: true },
    expires_at: { type: Date, required: true },
    created_at: { type: Date, required: true },
  },
  { collection: "password_resets", versionKey: false, strict: "throw" },
);

const toRecord = (doc: ResetTokenDocument): ResetTokenRecord => ({
  id: doc._id.toHexString(),
  user_id: doc.user_id.toHexString(),
  token_hash: doc.token_hash,
  expires_at: doc.expires_at,
  created_at: doc.created_at,
});

/** The MongoDB adapter of outstanding password resets (collection `password_resets`). */
export function createResetTokenRepository(
  connection: Connection,
): ResetTokenStore & { ensureIndexes(): Promise<void> } {
  const existing: Model<ResetTokenDocument> | undefined = connection.models.ResetToken;
  const Tokens = existing ?? connection.model<ResetTokenDocument>("ResetToken", resetTokenSchema);
  return {
    async create({ userId, tokenHash, expiresAt }) {
      await Tokens.create({
        _id: new Types.ObjectId(),
        user_id: new Types.ObjectId(userId),
        token_hash: tokenHash,
        expires_at: expiresAt,
        created_at: new Date(),
      });
    },
    async findByHash(tokenHash) {
      const doc = await Tokens.findOne({ token_hash: tokenHash }).lean<ResetTokenDocument>().exec();
      return doc && toRecord(doc);
    },
    async deleteForUser(userId) {
      await Tokens.deleteMany({ user_id: new Types.ObjectId(userId) }).exec();
    },
    async ensureIndexes() {
      await Tokens.createCollection();
      await Tokens.createIndexes();
    },
  };
}

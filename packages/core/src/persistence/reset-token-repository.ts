import mongoose, { type Connection, type Model, Schema, Types } from "mongoose";
import type { ResetTokenRecord, ResetTokenStore } from "../ports";

type ResetTokenDocument = {
  _id: Types.ObjectId;
  user_id: Types.ObjectId;
  token_hash: string;
  /** The normalised address the link was sent to (absent on links made before it was stored). */
  email_key?: string;
  expires_at: Date;
  created_at: Date;
};

const resetTokenSchema = new Schema<ResetTokenDocument>(
  {
    user_id: { type: Schema.Types.ObjectId, required: true, index: true },
    token_hash: { type: String, required: true, unique: true },
    email_key: { type: String },
    expires_at: { type: Date, required: true, index: true },
    created_at: { type: Date, required: true },
  },
  { collection: "password_resets", versionKey: false, strict: "throw" },
);

const toRecord = (doc: ResetTokenDocument): ResetTokenRecord => ({
  id: doc._id.toHexString(),
  user_id: doc.user_id.toHexString(),
  token_hash: doc.token_hash,
  email_key: doc.email_key ?? null,
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
    async create({ userId, tokenHash, emailKey, expiresAt }) {
      await Tokens.create({
        _id: new Types.ObjectId(),
        user_id: new Types.ObjectId(userId),
        token_hash: tokenHash,
        email_key: emailKey,
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
    async purgeExpired(before) {
      const result = await Tokens.deleteMany({ expires_at: mongoose.trusted({ $lt: before }) }).exec();
      return result.deletedCount;
    },
    async ensureIndexes() {
      await Tokens.createCollection();
      await Tokens.createIndexes();
    },
  };
}

import { type Connection, type Model, Schema, Types } from "mongoose";

/** An outstanding password reset: only the keyed hash of its token is stored. */
export type ResetTokenDocument = {
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

export interface ResetTokenRepository {
  create(input: { userId: Types.ObjectId; tokenHash: string; expiresAt: Date }): Promise<void>;
  findByHash(tokenHash: string): Promise<ResetTokenDocument | null>;
  /** Invalidates every outstanding token of a user. */
  deleteForUser(userId: Types.ObjectId): Promise<void>;
  ensureIndexes(): Promise<void>;
}

export function createResetTokenRepository(connection: Connection): ResetTokenRepository {
  const existing: Model<ResetTokenDocument> | undefined = connection.models.ResetToken;
  const Tokens = existing ?? connection.model<ResetTokenDocument>("ResetToken", resetTokenSchema);
  return {
    async create({ userId, tokenHash, expiresAt }) {
      await Tokens.create({
        _id: new Types.ObjectId(),
        user_id: userId,
        token_hash: tokenHash,
        expires_at: expiresAt,
        created_at: new Date(),
      });
    },
    findByHash: (tokenHash) => Tokens.findOne({ token_hash: tokenHash }).lean<ResetTokenDocument>().exec(),
    async deleteForUser(userId) {
      await Tokens.deleteMany({ user_id: userId }).exec();
    },
    async ensureIndexes() {
      await Tokens.createCollection();
      await Tokens.createIndexes();
    },
  };
}

import { type Connection, type Model, Schema, Types } from "mongoose";
import type { PasskeyRecord, PasskeyStore } from "../ports";
import { isDuplicateKey } from "./user-updates";

type PasskeyDocument = Omit<PasskeyRecord, "id" | "user_id"> & { _id: string; user_id: Types.ObjectId };

const passkeySchema = new Schema<PasskeyDocument>(
  {
    _id: { type: String, required: true },
    user_id: { type: Schema.Types.ObjectId, required: true, index: true },
    public_key: { type: String, required: true },
    counter: { type: Number, required: true },
    transports: { type: [String], default: [] },
    device_type: { type: String, required: true },
    backed_up: { type: Boolean, required: true },
    name: { type: String, required: true },
    created_at: { type: Date, required: true },
    last_used_at: { type: Date, default: null },
  },
  { collection: "passkeys", versionKey: false, strict: "throw" },
);

const toRecord = ({ _id, user_id, ...rest }: PasskeyDocument): PasskeyRecord => ({
  ...rest,
  id: _id,
  user_id: user_id.toHexString(),
  transports: [...rest.transports],
  last_used_at: rest.last_used_at ?? null,
});

/**
 * The MongoDB adapter of passkeys (collection `passkeys`): one document per credential,
 * its id as `_id` (unique everywhere, a good shard key), found by `user_id`.
 */
export function createPasskeyRepository(connection: Connection): PasskeyStore & {
  ensureIndexes(): Promise<void>;
} {
  const existing: Model<PasskeyDocument> | undefined = connection.models.Passkey;
  const Passkeys = existing ?? connection.model<PasskeyDocument>("Passkey", passkeySchema);
  const ofUser = (userId: string, credentialId: string) => ({
    _id: credentialId,
    user_id: new Types.ObjectId(userId),
  });
  return {
    async insert({ id, user_id, ...fields }) {
      try {
        await Passkeys.create({ ...fields, _id: id, user_id: new Types.ObjectId(user_id) });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    async findById(credentialId) {
      const doc = await Passkeys.findById(credentialId).lean<PasskeyDocument>().exec();
      return doc && toRecord(doc);
    },
    async listForUser(userId) {
      const docs = await Passkeys.find({ user_id: new Types.ObjectId(userId) })
        .sort({ created_at: 1, _id: 1 })
        .lean<PasskeyDocument[]>()
        .exec();
      return docs.map(toRecord);
    },
    async rename(userId, credentialId, name) {
      const doc = await Passkeys.findOneAndUpdate(
        ofUser(userId, credentialId),
        { $set: { name } },
        { new: true },
      )
        .lean<PasskeyDocument>()
        .exec();
      return doc && toRecord(doc);
    },
    async recordUse(credentialId, use) {
      // $max: a lost race (FerretDB applies updates without isolation) can only leave the
      // counter lower, never refuse a right assertion; the claim made the decision.
      await Passkeys.updateOne(
        { _id: credentialId },
        {
          $max: { counter: use.counter },
          $set: { backed_up: use.backedUp, last_used_at: use.at },
        },
      ).exec();
    },
    async remove(userId, credentialId) {
      const result = await Passkeys.deleteOne(ofUser(userId, credentialId)).exec();
      return result.deletedCount === 1;
    },
    async removeForUser(userId) {
      await Passkeys.deleteMany({ user_id: new Types.ObjectId(userId) }).exec();
    },
    async ensureIndexes() {
      await Passkeys.createCollection();
      await Passkeys.createIndexes();
    },
  };
}

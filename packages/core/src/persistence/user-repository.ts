import mongoose, { type Connection, Types } from "mongoose";
import { takenError } from "../errors";
import type { UserRepository } from "../ports";
import { normalizeKey } from "../users/schemas";
import type { PublicUserRecord } from "../users/user";
import { publicUserFields } from "../users/user";
import { toRecord, type UserDocument, userModel } from "./user-model";
import { createUserUpdates, isDuplicateKey } from "./user-updates";

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const publicProjection = Object.fromEntries(publicUserFields.map((field) => [field, 1]));

const toPublic = ({ _id, ...rest }: Omit<PublicUserRecord, "id"> & { _id: Types.ObjectId }) => ({
  ...rest,
  id: _id.toHexString(),
});

const identifierFilter = (identifier: string) => {
  const key = normalizeKey(identifier);
  return key.includes("@") ? { email_key: key } : { username_key: key };
};

/** The MongoDB adapter of every user port (see ports.ts). */
export function createUserRepository(connection: Connection): UserRepository & {
  ensureIndexes(): Promise<void>;
} {
  const Users = userModel(connection);
  type PublicDoc = Omit<PublicUserRecord, "id"> & { _id: Types.ObjectId };
  const findTaken: UserRepository["findTaken"] = async (username, email) => {
    const [byName, byEmail] = await Promise.all([
      Users.exists({ username_key: normalizeKey(username) }).exec(),
      Users.exists({ email_key: normalizeKey(email) }).exec(),
    ]);
    return byName ? "USERNAME_TAKEN" : byEmail ? "EMAIL_TAKEN" : null;
  };
  return {
    ...createUserUpdates(Users),
    newId: () => new Types.ObjectId().toHexString(),
    findTaken,
    async insert(user) {
      try {
        const { id, ...fields } = user;
        const doc = await Users.create({
          ...fields,
          _id: new Types.ObjectId(id),
          username_key: normalizeKey(user.username),
          email_key: normalizeKey(user.email),
          first_name_key: normalizeKey(user.first_name),
          last_name_key: normalizeKey(user.last_name),
        });
        return toRecord(doc.toObject());
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Name the field from the error when the server says which index; ask otherwise.
        const said = `${error.message} ${JSON.stringify(error.keyPattern ?? {})}`;
        const which = /username_key/.test(said)
          ? "USERNAME_TAKEN"
          : /email_key/.test(said)
            ? "EMAIL_TAKEN"
            : await findTaken(user.username, user.email);
        throw takenError(which ?? "USERNAME_TAKEN");
      }
    },
    async findById(id) {
      if (!Types.ObjectId.isValid(id)) return null;
      const doc = await Users.findById(id).lean<UserDocument>().exec();
      return doc && toRecord(doc);
    },
    async findByIdentifier(identifier) {
      const doc = await Users.findOne(identifierFilter(identifier)).lean<UserDocument>().exec();
      return doc && toRecord(doc);
    },
    async findPublicById(id) {
      if (!Types.ObjectId.isValid(id)) return null;
      const doc = await Users.findById(id, publicProjection).lean<PublicDoc>().exec();
      return doc && toPublic(doc);
    },
    async findPublicByIdentifier(identifier) {
      const doc = await Users.findOne(identifierFilter(identifier), publicProjection)
        .lean<PublicDoc>()
        .exec();
      return doc && toPublic(doc);
    },
    async list({ limit, after, prefix, isActive, role }) {
      const { trusted } = mongoose; // operators we mean, under sanitizeFilter
      const and: Record<string, unknown>[] = [];
      if (isActive !== undefined) and.push({ is_active: isActive });
      if (role !== undefined) and.push({ role });
      if (prefix) {
        const pattern = trusted({ $regex: `^${escapeRegExp(normalizeKey(prefix))}` });
        and.push({
          $or: [
            { username_key: pattern },
            { email_key: pattern },
            { first_name_key: pattern },
            { last_name_key: pattern },
          ],
        });
      }
      if (after) {
        const afterId = new Types.ObjectId(after.id);
        and.push({
          $or: [
            { created_at: trusted({ $lt: after.createdAt }) },
            { created_at: after.createdAt, _id: trusted({ $lt: afterId }) },
          ],
        });
      }
      const docs = await Users.find(and.length > 0 ? { $and: and } : {}, publicProjection)
        .sort({ created_at: -1, _id: -1 })
        .limit(limit + 1)
        .lean<PublicDoc[]>()
        .exec();
      return docs.map(toPublic);
    },
    async deleteById(id) {
      const result = await Users.deleteOne({ _id: new Types.ObjectId(id) }).exec();
      return result.deletedCount === 1;
    },
    async ensureIndexes() {
      await Users.createCollection();
      await Users.createIndexes();
    },
  };
}

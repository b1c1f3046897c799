import mongoose, { type Connection, Types } from "mongoose";
import { DomainError } from "../errors";
import { userModel } from "../persistence/user-model";
import { createUserRepository } from "../persistence/user-repository";
import type { LegacyUserSource, MigrationTarget } from "./ports";

/**
 * The Python service's users in `collection` of `dbName` (any server `client` reaches):
 * read with the driver, as MongoEngine wrote them.
 */
export function createLegacyUserSource(options: {
  client: mongoose.mongo.MongoClient;
  dbName: string;
  collection: string;
}): LegacyUserSource {
  const users = options.client.db(options.dbName).collection(options.collection);
  // Pages on the raw `_id` of the last row read (of any type: a source may hold ids that are
  // not ObjectIds, which the mapping reports as invalid instead of crashing the run).
  let last: unknown = null;
  return {
    async readBatch(afterId, limit) {
      const filter = (
        afterId === null || last === null ? {} : { _id: { $gt: last } }
      ) as mongoose.mongo.Filter<mongoose.mongo.Document>;
      const docs = await users.find(filter).sort({ _id: 1 }).limit(limit).toArray();
      last = docs[docs.length - 1]?._id ?? last;
      return docs.map(({ _id, ...fields }) => {
        const isObjectId = _id instanceof Types.ObjectId;
        return { id: isObjectId ? _id.toHexString() : String(_id), fields, idIsObjectId: isObjectId };
      });
    },
  };
}

/** The service's own users as the migration's target: inserts through the user repository. */
export function createMigrationTarget(connection: Connection): MigrationTarget {
  const Users = userModel(connection);
  const repository = createUserRepository(connection);
  const exists = async (id: string) => (await Users.exists({ _id: new Types.ObjectId(id) }).exec()) !== null;
  return {
    async existingIds(ids) {
      if (ids.length === 0) return new Set();
      const objectIds = ids.map((id) => new Types.ObjectId(id));
      const docs = await Users.find({ _id: mongoose.trusted({ $in: objectIds }) }, { _id: 1 })
        .lean<{ _id: Types.ObjectId }[]>()
        .exec();
      return new Set(docs.map((doc) => doc._id.toHexString()));
    },
    async insert({ created_at, ...user }) {
      try {
        await repository.insert(user);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        if (await exists(user.id)) return "exists";
        if (error.code === "USERNAME_TAKEN" || error.code === "EMAIL_TAKEN") return error.code;
        throw error;
      }
      // The repository stamps the insert time; the user was created earlier. (The driver's
      // update: mongoose keeps created_at immutable.)
      await Users.collection.updateOne({ _id: new Types.ObjectId(user.id) }, { $set: { created_at } });
      return "inserted";
    },
  };
}

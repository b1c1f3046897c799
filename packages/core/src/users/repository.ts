import { type Connection, Types } from "mongoose";
import { type UserDocument, userModel } from "./model";
import type { User } from "./schemas";

export interface UserRepository {
  findById(id: string): Promise<User | null>;
  /** Creates the collection's indexes (idempotent); call once at start. */
  ensureIndexes(): Promise<void>;
}

/** Maps a stored user to its public view. */
export function toUser(doc: UserDocument): User {
  return {
    id: doc._id.toHexString(),
    username: doc.username,
    first_name: doc.first_name,
    last_name: doc.last_name,
    email: doc.email,
    gender: doc.gender,
    role: doc.role,
    is_active: doc.is_active,
    mfa_enabled: doc.mfa_enabled,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

export function createUserRepository(connection: Connection): UserRepository {
  const Users = userModel(connection);
  return {
    async findById(id) {
      if (!Types.ObjectId.isValid(id)) return null;
      const doc = await Users.findById(id).lean<UserDocument>().exec();
      return doc ? toUser(doc) : null;
    },
    async ensureIndexes() {
      await Users.createCollection();
      await Users.createIndexes();
    },
  };
}

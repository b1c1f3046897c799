import mongoose, { type Connection, Types } from "mongoose";
import { DomainError } from "../errors";
import {
  type ActivationState,
  type EmailChangeState,
  type MfaState,
  type UserDocument,
  userModel,
} from "./model";
import { normalizeKey, type User } from "./schemas";

export type NewUser = Omit<UserDocument, "created_at" | "updated_at" | "username_key" | "email_key">;

export type ListQuery = {
  limit: number;
  after?: { createdAt: Date; id: Types.ObjectId } | undefined;
  /** Case-insensitive prefix of username, email, first or last name. */
  prefix?: string | undefined;
  isActive?: boolean | undefined;
  role?: UserDocument["role"] | undefined;
};

export type ProfileUpdate = Partial<Pick<UserDocument, "first_name" | "last_name" | "gender" | "role">>;

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export interface UserRepository {
  /** Inserts a user; USERNAME_TAKEN / EMAIL_TAKEN when the unique indexes say so. */
  insert(user: NewUser): Promise<UserDocument>;
  /** Which of username/email is already used, if any (a fast pre-check; the index decides). */
  findTaken(username: string, email: string): Promise<"USERNAME_TAKEN" | "EMAIL_TAKEN" | null>;
  findById(id: string): Promise<UserDocument | null>;
  /** By username or email (an identifier with '@' is an email), case-insensitively. */
  findByIdentifier(identifier: string): Promise<UserDocument | null>;
  /** Like `findById`, reading only what the public view shows (no hashes, no secrets). */
  findPublicById(id: string): Promise<PublicUserDocument | null>;
  /** Like `findByIdentifier`, reading only what the public view shows. */
  findPublicByIdentifier(identifier: string): Promise<PublicUserDocument | null>;
  /**
   * Activates the user if `codeId` is still its code. Callers make the decision exactly-once
   * with a claim first (see claims.ts); this write only carries it out.
   */
  activate(input: { id: Types.ObjectId; codeId: string }): Promise<UserDocument | null>;
  /** Counts a wrong code against `codeId` (shown to the user; claims are what bound tries). */
  recordFailedActivation(id: Types.ObjectId, codeId: string): Promise<void>;
  /** Replaces code `codeId` of an inactive user with a new one; false when it is not there. */
  replaceActivation(input: {
    id: Types.ObjectId;
    codeId: string;
    activation: ActivationState;
  }): Promise<boolean>;
  deleteById(id: Types.ObjectId): Promise<boolean>;
  /**
   * Stores a new password hash: a change by the user (`changedAt`), or an upgrade of
   * `replacing` that must not undo a change made meanwhile.
   */
  setPasswordHash(
    id: Types.ObjectId,
    hash: string,
    how: { changedAt: Date } | { replacing: string },
  ): Promise<void>;
  setResetRequestedAt(id: Types.ObjectId, at: Date): Promise<void>;
  /** Writes MFA fields (the decisions behind them were made with claims). */
  updateMfa(
    id: Types.ObjectId,
    set: { mfa_enabled?: boolean; mfa: Partial<MfaState> },
  ): Promise<UserDocument | null>;
  /** Newest first, after `after` (keyset paging), filtered; one more than `limit` tells if more exist. */
  list(input: ListQuery): Promise<PublicUserDocument[]>;
  /** Sets profile fields (keeping the search copies in step); null when there is no such user. */
  updateProfile(id: Types.ObjectId, set: ProfileUpdate): Promise<UserDocument | null>;
  setEmailChange(id: Types.ObjectId, state: EmailChangeState | null): Promise<void>;
  /** Moves the pending new address into place; EMAIL_TAKEN when another user has it now. */
  applyEmailChange(id: Types.ObjectId, codeId: string): Promise<UserDocument | null>;
  /** Removes one used recovery code. */
  removeRecoveryHash(id: Types.ObjectId, hash: string): Promise<void>;
  ensureIndexes(): Promise<void>;
}

/**
 * The stored fields the public view is made of. Reads that only answer that view project
 * to these, so password hashes, MFA secrets and codes never leave the database for them.
 */
const publicFields = [
  "username",
  "first_name",
  "last_name",
  "email",
  "gender",
  "role",
  "is_active",
  "mfa_enabled",
  "created_at",
  "updated_at",
] as const satisfies readonly (keyof UserDocument)[];

export type PublicUserDocument = Pick<UserDocument, "_id" | (typeof publicFields)[number]>;

const publicProjection = Object.fromEntries(publicFields.map((field) => [field, 1]));

/** Maps a stored user to its public view. */
export function toUser(doc: PublicUserDocument): User {
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

const identifierFilter = (identifier: string) => {
  const key = normalizeKey(identifier);
  return key.includes("@") ? { email_key: key } : { username_key: key };
};

/** A unique index refused the write (FerretDB reports it for updates as an InternalError). */
function isDuplicateKey(error: unknown): error is Error & { keyPattern?: object; message: string } {
  if (!(error instanceof Error)) return false;
  return ("code" in error && error.code === 11000) || /UNIQUE constraint failed/.test(error.message);
}

export function createUserRepository(connection: Connection): UserRepository {
  const Users = userModel(connection);
  const repository: UserRepository = {
    async insert(user) {
      try {
        const doc = await Users.create({
          ...user,
          username_key: normalizeKey(user.username),
          email_key: normalizeKey(user.email),
          first_name_key: normalizeKey(user.first_name),
          last_name_key: normalizeKey(user.last_name),
        });
        return doc.toObject();
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Name the field from the error when the server says which index; ask otherwise.
        const which = /username_key/.test(`${error.message} ${JSON.stringify(error.keyPattern ?? {})}`)
          ? "USERNAME_TAKEN"
          : /email_key/.test(`${error.message} ${JSON.stringify(error.keyPattern ?? {})}`)
            ? "EMAIL_TAKEN"
            : await repository.findTaken(user.username, user.email);
        throw takenError(which ?? "USERNAME_TAKEN");
      }
    },
    async findTaken(username, email) {
      const [byName, byEmail] = await Promise.all([
        Users.exists({ username_key: normalizeKey(username) }).exec(),
        Users.exists({ email_key: normalizeKey(email) }).exec(),
      ]);
      return byName ? "USERNAME_TAKEN" : byEmail ? "EMAIL_TAKEN" : null;
    },
    async findById(id) {
      if (!Types.ObjectId.isValid(id)) return null;
      return Users.findById(id).lean<UserDocument>().exec();
    },
    async findByIdentifier(identifier) {
      return Users.findOne(identifierFilter(identifier)).lean<UserDocument>().exec();
    },
    async findPublicById(id) {
      if (!Types.ObjectId.isValid(id)) return null;
      return Users.findById(id, publicProjection).lean<PublicUserDocument>().exec();
    },
    async findPublicByIdentifier(identifier) {
      return Users.findOne(identifierFilter(identifier), publicProjection).lean<PublicUserDocument>().exec();
    },
    async activate({ id, codeId }) {
      // No projection option here: FerretDB v1 does not implement it in findAndModify.
      return Users.findOneAndUpdate(
        { _id: id, is_active: false, "activation.code_id": codeId },
        { $set: { is_active: true, activation: null } },
        { returnDocument: "after" },
      )
        .lean<UserDocument>()
        .exec();
    },
    async recordFailedActivation(id, codeId) {
      await Users.updateOne(
        { _id: id, "activation.code_id": codeId },
        { $inc: { "activation.attempts": 1 } },
      ).exec();
    },
    async replaceActivation({ id, codeId, activation }) {
      const result = await Users.updateOne(
        { _id: id, is_active: false, "activation.code_id": codeId },
        { $set: { activation } },
      ).exec();
      return result.modifiedCount === 1;
    },
    async deleteById(id) {
      const result = await Users.deleteOne({ _id: id }).exec();
      return result.deletedCount === 1;
    },
    async setPasswordHash(id, hash, how) {
      await Users.updateOne("replacing" in how ? { _id: id, password_hash: how.replacing } : { _id: id }, {
        $set: { password_hash: hash, ...("changedAt" in how ? { password_changed_at: how.changedAt } : {}) },
      }).exec();
    },
    async updateMfa(id, { mfa_enabled, mfa }) {
      // Dotted paths need the sub-document to exist.
      const empty: MfaState = {
        secret_enc: null,
        pending_secret_enc: null,
        pending_id: null,
        last_step: null,
        recovery_hashes: [],
      };
      await Users.updateOne({ _id: id, mfa: null }, { $set: { mfa: empty } }).exec();
      const set: Record<string, unknown> = {};
      if (mfa_enabled !== undefined) set.mfa_enabled = mfa_enabled;
      for (const [field, value] of Object.entries(mfa)) set[`mfa.${field}`] = value;
      return Users.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: "after" })
        .lean<UserDocument>()
        .exec();
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
        and.push({
          $or: [
            { created_at: trusted({ $lt: after.createdAt }) },
            { created_at: after.createdAt, _id: trusted({ $lt: after.id }) },
          ],
        });
      }
      return Users.find(and.length > 0 ? { $and: and } : {}, publicProjection)
        .sort({ created_at: -1, _id: -1 })
        .limit(limit + 1)
        .lean<PublicUserDocument[]>()
        .exec();
    },
    async updateProfile(id, set) {
      const keys = {
        ...(set.first_name !== undefined ? { first_name_key: normalizeKey(set.first_name) } : {}),
        ...(set.last_name !== undefined ? { last_name_key: normalizeKey(set.last_name) } : {}),
      };
      return Users.findOneAndUpdate({ _id: id }, { $set: { ...set, ...keys } }, { returnDocument: "after" })
        .lean<UserDocument>()
        .exec();
    },
    async setEmailChange(id, state) {
      await Users.updateOne({ _id: id }, { $set: { email_change: state } }).exec();
    },
    async applyEmailChange(id, codeId) {
      const user = await Users.findOne({ _id: id, "email_change.code_id": codeId })
        .lean<UserDocument>()
        .exec();
      const change = user?.email_change;
      if (!change) return null;
      try {
        return await Users.findOneAndUpdate(
          { _id: id },
          { $set: { email: change.new_email, email_key: change.new_email_key, email_change: null } },
          { returnDocument: "after" },
        )
          .lean<UserDocument>()
          .exec();
      } catch (error) {
        if (isDuplicateKey(error)) throw takenError("EMAIL_TAKEN");
        throw error;
      }
    },
    async removeRecoveryHash(id, hash) {
      await Users.updateOne({ _id: id }, { $pull: { "mfa.recovery_hashes": hash } }).exec();
    },
    async setResetRequestedAt(id, at) {
      await Users.updateOne({ _id: id }, { $set: { reset_requested_at: at } }).exec();
    },
    async ensureIndexes() {
      await Users.createCollection();
      await Users.createIndexes();
    },
  };
  return repository;
}

/** The 409 for a username or email that is already used. */
export function takenError(code: "USERNAME_TAKEN" | "EMAIL_TAKEN"): DomainError {
  return code === "USERNAME_TAKEN"
    ? new DomainError("USERNAME_TAKEN", "This username is already taken; choose another.")
    : new DomainError("EMAIL_TAKEN", "An account with this email address already exists.");
}

import mongoose, { type Model, Types } from "mongoose";
import { takenError } from "../errors";
import type {
  ActivationStore,
  EmailChangeStore,
  LoginCodeStore,
  MfaStore,
  PasswordStore,
  ProfileStore,
} from "../ports";
import { normalizeKey } from "../users/schemas";
import type { MfaState } from "../users/user";
import { toRecord, type UserDocument } from "./user-model";

/** A unique index refused the write (FerretDB reports it for updates as an InternalError). */
export function isDuplicateKey(error: unknown): error is Error & { keyPattern?: object; message: string } {
  if (!(error instanceof Error)) return false;
  return ("code" in error && error.code === 11000) || /UNIQUE constraint failed/.test(error.message);
}

const oid = (id: string) => new Types.ObjectId(id);

/**
 * The writes of the user ports. Each carries out a decision a use case already made with a
 * claim (FerretDB does not apply guarded updates atomically), so their filters only keep a
 * stale decision from landing on a user that moved on.
 */
export function createUserUpdates(
  Users: Model<UserDocument>,
): ActivationStore & PasswordStore & MfaStore & ProfileStore & EmailChangeStore & LoginCodeStore {
  // No projection option on findOneAndUpdate: FerretDB v1 does not implement it in findAndModify.
  const updateAndRead = async (filter: Record<string, unknown>, set: Record<string, unknown>) => {
    const doc = await Users.findOneAndUpdate(filter, { $set: set }, { returnDocument: "after" })
      .lean<UserDocument>()
      .exec();
    return doc && toRecord(doc);
  };
  return {
    activate: ({ id, codeId }) =>
      updateAndRead({ _id: oid(id), is_active: false, "activation.code_id": codeId }, { is_active: true }),
    async recordFailedActivation(id, codeId) {
      await Users.updateOne(
        { _id: oid(id), "activation.code_id": codeId },
        { $inc: { "activation.attempts": 1 } },
      ).exec();
    },
    async replaceActivation({ id, codeId, activation }) {
      const result = await Users.updateOne(
        { _id: oid(id), is_active: false, "activation.code_id": codeId },
        { $set: { activation } },
      ).exec();
      return result.modifiedCount === 1;
    },
    async setPasswordHash(id, hash, how) {
      // A change (not a reset) never lands on a password locked meanwhile by a revert.
      const filter =
        "replacing" in how
          ? { _id: oid(id), password_hash: how.replacing }
          : how.unlock
            ? { _id: oid(id) }
            : { _id: oid(id), password_locked: mongoose.trusted({ $ne: true }) };
      const changed =
        "changedAt" in how
          ? { password_changed_at: how.changedAt, ...(how.unlock ? { password_locked: false } : {}) }
          : {};
      const result = await Users.updateOne(filter, { $set: { password_hash: hash, ...changed } }).exec();
      return result.matchedCount === 1;
    },
    async setResetRequestedAt(id, at) {
      await Users.updateOne({ _id: oid(id) }, { $set: { reset_requested_at: at } }).exec();
    },
    async updateMfa(id, { mfa_enabled, mfa }) {
      // Dotted paths need the sub-document to exist.
      const empty: MfaState = {
        secret_enc: null,
        pending_secret_enc: null,
        pending_id: null,
        last_step: null,
        recovery_hashes: [],
        recovery_pepper_enc: null,
      };
      await Users.updateOne({ _id: oid(id), mfa: null }, { $set: { mfa: empty } }).exec();
      const set: Record<string, unknown> = {};
      if (mfa_enabled !== undefined) set.mfa_enabled = mfa_enabled;
      for (const [field, value] of Object.entries(mfa)) set[`mfa.${field}`] = value;
      return updateAndRead({ _id: oid(id) }, set);
    },
    async removeRecoveryHash(id, hash) {
      await Users.updateOne({ _id: oid(id) }, { $pull: { "mfa.recovery_hashes": hash } }).exec();
    },
    async resealMfa(id, { from, to }) {
      // Compare-on-old-value: on MongoDB the filter and the write are one atomic step, so a
      // value changed since it was read (a new enrolment, MFA turned off) is never
      // overwritten. FerretDB applies the two apart (not atomic): only a write landing
      // between its read and its write of this one update could be overwritten, and the
      // other writers of these fields (enable, confirm, disable) each follow a read of the
      // user and a claim, far longer than that gap. A re-seal writes the same secrets under
      // another key, so two re-seals racing each other are harmless whichever lands last.
      const filter: Record<string, unknown> = { _id: oid(id) };
      const set: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(from)) filter[`mfa.${field}`] = value;
      for (const [field, value] of Object.entries(to)) set[`mfa.${field}`] = value;
      const result = await Users.updateOne(filter, { $set: set }).exec();
      return result.modifiedCount === 1;
    },
    updateProfile: (id, set) =>
      updateAndRead(
        { _id: oid(id) },
        {
          ...set,
          ...(set.first_name !== undefined ? { first_name_key: normalizeKey(set.first_name) } : {}),
          ...(set.last_name !== undefined ? { last_name_key: normalizeKey(set.last_name) } : {}),
        },
      ),
    async replaceLoginCode({ id, replacing, loginCode }) {
      // null also matches users written before login codes existed (no field at all).
      const held = replacing === null ? { login_code: null } : { "login_code.code_id": replacing };
      const result = await Users.updateOne(
        { _id: oid(id), ...held },
        { $set: { login_code: loginCode } },
      ).exec();
      return result.matchedCount === 1;
    },
    async setEmailChange(id, state) {
      await Users.updateOne({ _id: oid(id) }, { $set: { email_change: state } }).exec();
    },
    async applyEmailChange(id, codeId, revert) {
      const user = await Users.findOne({ _id: oid(id), "email_change.code_id": codeId })
        .lean<UserDocument>()
        .exec();
      const change = user?.email_change;
      if (!change) return null;
      const live = (user.email_reverts ?? []).filter((r) => r.expires_at.getTime() > Date.now());
      try {
        return await updateAndRead(
          { _id: oid(id) },
          {
            email: change.new_email,
            email_key: change.new_email_key,
            email_change: null,
            email_reverts: [...live, revert],
          },
        );
      } catch (error) {
        if (isDuplicateKey(error)) throw takenError("EMAIL_TAKEN");
        throw error;
      }
    },
    async revertEmailChange(id, tokenHash) {
      const user = await Users.findOne({ _id: oid(id), "email_reverts.token_hash": tokenHash })
        .lean<UserDocument>()
        .exec();
      const reverts = user?.email_reverts ?? [];
      const index = reverts.findIndex((r) => r.token_hash === tokenHash);
      const revert = reverts[index];
      if (!user || !revert) return null;
      // Locked first; a pending MFA enrolment (perhaps the taker's) ends with the change.
      const pendingMfa = user.mfa ? { "mfa.pending_secret_enc": null, "mfa.pending_id": null } : {};
      await Users.updateOne(
        { _id: oid(id) },
        { $set: { password_locked: true, email_change: null, ...pendingMfa } },
      ).exec();
      try {
        // Older revert links stay: a revert of a later change cannot take back an earlier one.
        return await updateAndRead(
          { _id: oid(id) },
          { email: revert.email, email_key: revert.email_key, email_reverts: reverts.slice(0, index) },
        );
      } catch (error) {
        if (isDuplicateKey(error)) throw takenError("EMAIL_TAKEN");
        throw error;
      }
    },
  };
}

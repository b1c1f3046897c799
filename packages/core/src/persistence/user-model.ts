import { type Connection, type Model, Schema, type Types } from "mongoose";
import { genders, roles } from "../users/schemas";
import type {
  ActivationState,
  CodeState,
  EmailChangeState,
  EmailRevert,
  LoginCodeState,
  MfaState,
  UserRecord,
} from "../users/user";

/** A user as stored: the record with an ObjectId, plus lower-cased copies for prefix search. */
export type UserDocument = Omit<UserRecord, "id"> & {
  _id: Types.ObjectId;
  first_name_key?: string;
  last_name_key?: string;
};

/** A stored user's MFA state (users enrolled before recovery peppers have none). */
export function mfaOf(doc: Pick<UserDocument, "mfa">): MfaState | null {
  return doc.mfa ? { ...doc.mfa, recovery_pepper_enc: doc.mfa.recovery_pepper_enc ?? null } : null;
}
/** A code written by an older version lacks its link and resend count. */
const withCodeDefaults = <T extends CodeState>(state: T | null | undefined): T | null =>
  state ? { ...state, token_hash: state.token_hash ?? null, resends: state.resends ?? 0 } : null;

/** A stored user as a record (documents written by older versions may lack the newer fields). */
export function toRecord(doc: UserDocument): UserRecord {
  const { _id, first_name_key: _first, last_name_key: _last, ...rest } = doc;
  return {
    ...rest,
    id: _id.toHexString(),
    activation: withCodeDefaults(doc.activation),
    mfa: mfaOf(doc),
    email_change: withCodeDefaults(doc.email_change),
    login_code: doc.login_code ?? null,
    email_reverts: doc.email_reverts ?? [],
    password_locked: doc.password_locked ?? false,
    locale: doc.locale ?? null,
    password_changed_at: doc.password_changed_at ?? null,
    reset_requested_at: doc.reset_requested_at ?? null,
  };
}

/** The fields of an emailed code (activation, email change), as stored. */
const codeFields = {
  code_id: { type: String, required: true },
  code_hash: { type: String, required: true },
  token_hash: { type: String, default: null },
  expires_at: { type: Date, required: true },
  attempts: { type: Number, required: true, default: 0 },
  sent_at: { type: Date, required: true },
  resends: { type: Number, default: 0 },
} as const;

const activationSchema = new Schema<ActivationState>(codeFields, { _id: false });

const emailChangeSchema = new Schema<EmailChangeState>(
  {
    ...codeFields,
    new_email: { type: String, required: true },
    new_email_key: { type: String, required: true },
  },
  { _id: false },
);

const loginCodeSchema = new Schema<LoginCodeState>(
  { ...codeFields, email_key: { type: String, required: true } },
  { _id: false },
);

const emailRevertSchema = new Schema<EmailRevert>(
  {
    token_hash: { type: String, required: true },
    email: { type: String, required: true },
    email_key: { type: String, required: true },
    expires_at: { type: Date, required: true },
  },
  { _id: false },
);

const mfaSchema = new Schema<MfaState>(
  {
    secret_enc: { type: String, default: null },
    pending_secret_enc: { type: String, default: null },
    pending_id: { type: String, default: null },
    last_step: { type: Number, default: null },
    recovery_hashes: { type: [String], default: [] },
    recovery_pepper_enc: { type: String, default: null },
  },
  { _id: false },
);

const userSchema = new Schema<UserDocument>(
  {
    username: { type: String, required: true },
    username_key: { type: String, required: true, unique: true },
    first_name: { type: String, required: true },
    last_name: { type: String, required: true },
    email: { type: String, required: true },
    email_key: { type: String, required: true, unique: true },
    password_hash: { type: String, required: true },
    gender: { type: String, enum: genders, required: true },
    role: { type: String, enum: roles, required: true, default: "user" },
    is_active: { type: Boolean, required: true, default: false },
    mfa_enabled: { type: Boolean, required: true, default: false },
    locale: { type: String, default: null },
    activation: { type: activationSchema, default: null },
    mfa: { type: mfaSchema, default: null },
    email_change: { type: emailChangeSchema, default: null },
    email_reverts: { type: [emailRevertSchema], default: [] },
    login_code: { type: loginCodeSchema, default: null },
    password_locked: { type: Boolean, default: false },
    first_name_key: { type: String, index: true },
    last_name_key: { type: String, index: true },
    password_changed_at: { type: Date, default: null },
    reset_requested_at: { type: Date, default: null },
  },
  {
    collection: "users",
    strict: "throw",
    timestamps: { createdAt: "created_at", updatedAt: "updated_at" },
    versionKey: false,
  },
);

// Newest-first listing with keyset paging, alone or filtered by role and activity.
userSchema.index({ created_at: -1, _id: -1 });
userSchema.index({ role: 1, is_active: 1, created_at: -1, _id: -1 });

/** Registers (once per connection) and returns the users model. */
export function userModel(connection: Connection): Model<UserDocument> {
  const existing: Model<UserDocument> | undefined = connection.models.User;
  return existing ?? connection.model<UserDocument>("User", userSchema);
}

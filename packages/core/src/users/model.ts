import { type Connection, type Model, Schema, type Types } from "mongoose";
import { genders, roles } from "./schemas";

/** A pending activation code: only its keyed hash is stored. */
export type ActivationState = {
  code_id: string;
  code_hash: string;
  expires_at: Date;
  attempts: number;
  sent_at: Date;
};

/** TOTP state: secrets encrypted (AES-256-GCM), recovery codes as keyed hashes. */
export type MfaState = {
  secret_enc: string | null;
  pending_secret_enc: string | null;
  /** Identifies one enrolment attempt (a new `enable` starts another). */
  pending_id: string | null;
  /** The last accepted time step: codes of this step or earlier are refused. */
  last_step: number | null;
  recovery_hashes: string[];
};

export type EmailChangeState = ActivationState & { new_email: string; new_email_key: string };

/** A user as stored. `*_key` fields are the normalised copies that carry the unique indexes. */
export type UserDocument = {
  _id: Types.ObjectId;
  username: string;
  username_key: string;
  first_name: string;
  last_name: string;
  email: string;
  email_key: string;
  password_hash: string;
  gender: (typeof genders)[number];
  role: (typeof roles)[number];
  is_active: boolean;
  mfa_enabled: boolean;
  activation?: ActivationState | null;
  mfa?: MfaState | null;
  /** A pending change of address: the new one and the code sent there. */
  email_change?: EmailChangeState | null;
  /** Lower-cased copies for case-insensitive prefix search. */
  first_name_key?: string;
  last_name_key?: string;
  password_changed_at?: Date | null;
  /** When the last reset email was requested (one per cooldown). */
  reset_requested_at?: Date | null;
  created_at: Date;
  updated_at: Date;
};

const activationSchema = new Schema<ActivationState>(
  {
    code_id: { type: String, required: true },
    code_hash: { type: String, required: true },
    expires_at: { type: Date, required: true },
    attempts: { type: Number, required: true, default: 0 },
    sent_at: { type: Date, required: true },
  },
  { _id: false },
);

const emailChangeSchema = new Schema<EmailChangeState>(
  {
    code_id: { type: String, required: true },
    code_hash: { type: String, required: true },
    expires_at: { type: Date, required: true },
    attempts: { type: Number, required: true, default: 0 },
    sent_at: { type: Date, required: true },
    new_email: { type: String, required: true },
    new_email_key: { type: String, required: true },
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
    activation: { type: activationSchema, default: null },
    mfa: { type: mfaSchema, default: null },
    email_change: { type: emailChangeSchema, default: null },
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

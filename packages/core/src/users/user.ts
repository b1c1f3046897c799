import type { genders, roles, User } from "./schemas";

/**
 * An emailed 6-digit code as stored: only its keyed hash, with expiry and tries, and the
 * keyed hash of the one-click link's token sent with it (same expiry, same single use).
 */
export type CodeState = {
  code_id: string;
  code_hash: string;
  /** Keyed hash of the link token (null for codes sent before links existed). */
  token_hash: string | null;
  expires_at: Date;
  /** Wrong tries of this code (for operators); the claims are what bound them. */
  attempts: number;
  sent_at: Date;
  /** How many codes replaced one another before this one, within a day: resends back off. */
  resends: number;
};

/** A pending activation code. */
export type ActivationState = CodeState;

/** A pending change of address: the new one and the code sent there. */
export type EmailChangeState = CodeState & { new_email: string; new_email_key: string };

/** A pending one-time login code, and the address it was sent to (it works only while that is the account's). */
export type LoginCodeState = CodeState & { email_key: string };

/** A link sent to the address an email change replaced: it restores that address. */
export type EmailRevert = {
  token_hash: string;
  email: string;
  email_key: string;
  expires_at: Date;
};

/** TOTP state: secrets sealed (AES-256-GCM), recovery codes as keyed hashes. */
export type MfaState = {
  /**
   * The key of this user's recovery-code hashes (32 random bytes), sealed; null for users
   * enrolled before peppers (see mfa/recovery-codes.ts).
   */
  recovery_pepper_enc: string | null;
  secret_enc: string | null;
  pending_secret_enc: string | null;
  /** Identifies one enrolment attempt (a new `enable` starts another). */
  pending_id: string | null;
  /** The last accepted time step: codes of this step or earlier are refused. */
  last_step: number | null;
  recovery_hashes: string[];
};

/** A user as the use cases see it. `*_key` fields are the normalised copies lookups use. */
export type UserRecord = {
  id: string;
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
  /** The language of the user's emails (canonical BCP 47); null: EMAIL_DEFAULT_LOCALE. */
  locale: string | null;
  activation: ActivationState | null;
  mfa: MfaState | null;
  email_change: EmailChangeState | null;
  /** The last emailed login code (spent or not: its claims say; it paces the next one). */
  login_code: LoginCodeState | null;
  /** Live revert links of recent email changes (one per change, 7 days each). */
  email_reverts: EmailRevert[];
  /** Set by an email-change revert: the password works again only after a reset. */
  password_locked: boolean;
  password_changed_at: Date | null;
  /** When the last reset email was requested (one per cooldown). */
  reset_requested_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

/** What registration writes; the store adds the keys and timestamps. */
export type NewUser = Omit<
  UserRecord,
  | "username_key"
  | "email_key"
  | "created_at"
  | "updated_at"
  | "password_changed_at"
  | "reset_requested_at"
  | "email_reverts"
  | "password_locked"
  | "locale"
  | "login_code"
> & { locale?: string | null };

/** The fields the public view is made of (reads for it never load hashes or secrets). */
export const publicUserFields = [
  "username",
  "first_name",
  "last_name",
  "email",
  "gender",
  "role",
  "is_active",
  "mfa_enabled",
  "locale",
  "created_at",
  "updated_at",
] as const satisfies readonly (keyof UserRecord)[];

export type PublicUserRecord = Pick<UserRecord, "id" | (typeof publicUserFields)[number]>;

/** Maps a stored user to its public view: never a hash, code, token or secret. */
export function toUser(record: PublicUserRecord): User {
  return {
    id: record.id,
    username: record.username,
    first_name: record.first_name,
    last_name: record.last_name,
    email: record.email,
    gender: record.gender,
    role: record.role,
    is_active: record.is_active,
    mfa_enabled: record.mfa_enabled,
    locale: record.locale ?? null,
    created_at: record.created_at.toISOString(),
    updated_at: record.updated_at.toISOString(),
  };
}

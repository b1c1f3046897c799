export type { SecurityEvents } from "./events/recorder";

import type { MfaReseal } from "./mfa/reseal";
import type {
  ActivationState,
  EmailChangeState,
  EmailRevert,
  LoginCodeState,
  MfaState,
  NewUser,
  PublicUserRecord,
  UserRecord,
} from "./users/user";

/*
 * The narrow interfaces the use cases depend on. The mongoose adapters in persistence/
 * implement them for MongoDB (and FerretDB); test/fakes.ts implements them in memory.
 */

/**
 * Exactly-once decisions without transactions. A claim is a record whose key is the
 * decision: inserting it succeeds for exactly one caller, everywhere (a unique `_id`). Used
 * where a conditional update would be the usual tool, because FerretDB v1 does not apply
 * guarded updates atomically (two concurrent ones can both win there).
 */
export interface ClaimStore {
  /** True for the one caller that claims `key` first; `expiresAt` lets the sweep remove it. */
  claim(key: string, group: string, expiresAt?: Date): Promise<boolean>;
  /** When `key` was claimed, or null when it is free. */
  claimedAt(key: string): Promise<Date | null>;
  /** How many claims a group holds. */
  count(group: string): Promise<number>;
  /** Frees one claim (e.g. when the work it guarded failed and may be retried). */
  release(key: string): Promise<void>;
  /** Frees the given claims (by key: cheap, unlike a group scan on FerretDB). */
  releaseKeys(keys: readonly string[]): Promise<void>;
  /** Forgets every claim of a group (e.g. when what it guarded is gone). */
  releaseGroup(group: string): Promise<void>;
  /** Deletes expired claims; returns how many. */
  sweep(): Promise<number>;
}

/**
 * The lock of a throttled key: attempts are refused until `until`. `level` counts the locks
 * of one series (1 for the first), remembered until `forgetAt`, when the record may go.
 */
export type ThrottleLock = { until: Date; level: number; forgetAt: Date };

/**
 * The locks of throttled keys, one record per key, read before any slot is taken (so that a
 * refusal is one read). Only the attempt whose slot claim decided a lock writes it, so a
 * plain replace is enough.
 */
export interface ThrottleLockStore {
  find(key: string): Promise<ThrottleLock | null>;
  /** Writes (or replaces) the lock of `key`. */
  save(key: string, lock: ThrottleLock): Promise<void>;
  remove(key: string): Promise<void>;
  /** Deletes the records past their `forgetAt`; returns how many. */
  sweep(): Promise<number>;
}

/** Reads of whole users (with hashes and secrets), for the use cases that check them. */
export interface UserLookup {
  findById(id: string): Promise<UserRecord | null>;
  /** By username or email (an identifier with '@' is an email), case-insensitively. */
  findByIdentifier(identifier: string): Promise<UserRecord | null>;
}

/** Reads of the public view only: no hash or secret leaves the database for them. */
export interface PublicUserLookup {
  findPublicById(id: string): Promise<PublicUserRecord | null>;
  findPublicByIdentifier(identifier: string): Promise<PublicUserRecord | null>;
}

export type ListQuery = {
  limit: number;
  after?: { createdAt: Date; id: string } | undefined;
  /** Case-insensitive prefix of username, email, first or last name. */
  prefix?: string | undefined;
  isActive?: boolean | undefined;
  role?: UserRecord["role"] | undefined;
};

/** Newest first, after `after` (keyset paging); one more than `limit` tells if more exist. */
export interface UserDirectory {
  list(query: ListQuery): Promise<PublicUserRecord[]>;
}

export interface UserRegistry {
  /** A fresh id (the activation email is queued before the user is written). */
  newId(): string;
  /** Which of username/email is already used, if any (a fast pre-check; the index decides). */
  findTaken(username: string, email: string): Promise<"USERNAME_TAKEN" | "EMAIL_TAKEN" | null>;
  /** Inserts a user; USERNAME_TAKEN / EMAIL_TAKEN when the unique indexes say so. */
  insert(user: NewUser): Promise<UserRecord>;
}

/** Writes that carry out activation decisions already made with claims. */
export interface ActivationStore {
  /**
   * Activates the user if `codeId` is still its code (kept, spent, so that the right code
   * or link answers the same again while it lives); null otherwise.
   */
  activate(input: { id: string; codeId: string }): Promise<UserRecord | null>;
  /** Counts a wrong code against `codeId` (shown to the user; claims bound the tries). */
  recordFailedActivation(id: string, codeId: string): Promise<void>;
  /** Replaces code `codeId` of an inactive user; false when it is not there any more. */
  replaceActivation(input: { id: string; codeId: string; activation: ActivationState }): Promise<boolean>;
}

export interface PasswordStore {
  /**
   * Stores a new password hash: a reset or change by the user (`changedAt`; a reset
   * `unlock`s a password locked by a revert, a change never lands on one), or an upgrade of
   * `replacing` that must not undo a change made meanwhile. False when nothing was stored.
   */
  setPasswordHash(
    id: string,
    hash: string,
    how: { changedAt: Date; unlock: boolean } | { replacing: string },
  ): Promise<boolean>;
  setResetRequestedAt(id: string, at: Date): Promise<void>;
}

export interface MfaStore {
  /** Writes MFA fields (the decisions behind them were made with claims). */
  updateMfa(id: string, set: { mfa_enabled?: boolean; mfa: Partial<MfaState> }): Promise<UserRecord | null>;
  /** Removes one used recovery code. */
  removeRecoveryHash(id: string, hash: string): Promise<void>;
  /**
   * Writes the same MFA values sealed with the current key (`to`) where the user still holds
   * the values read (`from`; null matches a missing field); false when they changed meanwhile.
   */
  resealMfa(id: string, reseal: MfaReseal): Promise<boolean>;
}

export type ProfileUpdate = Partial<
  Pick<UserRecord, "first_name" | "last_name" | "gender" | "role" | "locale">
>;

export interface ProfileStore {
  /** Sets profile fields (keeping the search copies in step); null when there is no such user. */
  updateProfile(id: string, set: ProfileUpdate): Promise<UserRecord | null>;
}

export interface LoginCodeStore {
  /**
   * Stores `loginCode` as the user's login code where the user still holds `replacing` (the
   * code id read, or null for none); false when it moved on meanwhile.
   */
  replaceLoginCode(input: {
    id: string;
    replacing: string | null;
    loginCode: LoginCodeState;
  }): Promise<boolean>;
}

export interface EmailChangeStore {
  setEmailChange(id: string, state: EmailChangeState | null): Promise<void>;
  /**
   * Moves the pending address into place and keeps `revert`, the link to the address it
   * replaces (expired links are dropped); null when `codeId` is not pending; EMAIL_TAKEN if taken.
   */
  applyEmailChange(id: string, codeId: string, revert: EmailRevert): Promise<UserRecord | null>;
  /**
   * Reverts to the address of the revert link `tokenHash`: locks the password first, then
   * restores that address and drops every revert link and pending change. Null when the
   * link is not there; EMAIL_TAKEN when another user has the address now (the lock stays).
   */
  revertEmailChange(id: string, tokenHash: string): Promise<UserRecord | null>;
}

export interface UserRemoval {
  /** True when the user was there and is now gone. */
  deleteById(id: string): Promise<boolean>;
}

/** Every user port: what the MongoDB adapter (and the in-memory fake) implement. */
export type UserRepository = UserLookup &
  PublicUserLookup &
  UserDirectory &
  UserRegistry &
  ActivationStore &
  PasswordStore &
  MfaStore &
  ProfileStore &
  EmailChangeStore &
  LoginCodeStore &
  UserRemoval;

/** An outstanding password reset: only the keyed hash of its token is stored. */
export type ResetTokenRecord = {
  id: string;
  user_id: string;
  token_hash: string;
  /** The normalised address the link was sent to; null on links made before it was stored. */
  email_key: string | null;
  expires_at: Date;
  created_at: Date;
};

export interface ResetTokenStore {
  create(input: { userId: string; tokenHash: string; emailKey: string; expiresAt: Date }): Promise<void>;
  findByHash(tokenHash: string): Promise<ResetTokenRecord | null>;
  /** Invalidates every outstanding token of a user. */
  deleteForUser(userId: string): Promise<void>;
  /** Deletes tokens that expired before `before`; returns how many. */
  purgeExpired(before: Date): Promise<number>;
}

/** Runs work the caller must not wait for (and whose timing must not show). */
export type RunInBackground = (task: () => Promise<void>) => void;

/** A registered passkey (WebAuthn credential) of a user, as stored. */
export type PasskeyRecord = {
  /** The credential id (base64url): unique across users. */
  id: string;
  user_id: string;
  /** The COSE public key (base64url). */
  public_key: string;
  /** The authenticator's signature counter (0 for authenticators that keep none). */
  counter: number;
  transports: string[];
  device_type: "singleDevice" | "multiDevice";
  backed_up: boolean;
  /** The user's name for it. */
  name: string;
  created_at: Date;
  last_used_at: Date | null;
};

/** Passkeys live beside users, keyed by credential id, found by user id. */
export interface PasskeyStore {
  /** Stores a new passkey; false when its credential id is registered already. */
  insert(passkey: PasskeyRecord): Promise<boolean>;
  findById(credentialId: string): Promise<PasskeyRecord | null>;
  /** A user's passkeys, oldest first. */
  listForUser(userId: string): Promise<PasskeyRecord[]>;
  /** Renames a passkey of the user; null when the user has no such passkey. */
  rename(userId: string, credentialId: string, name: string): Promise<PasskeyRecord | null>;
  /** Records a use (the counter only ever grows); the decision was made with a claim. */
  recordUse(credentialId: string, use: { counter: number; backedUp: boolean; at: Date }): Promise<void>;
  /** Deletes a passkey of the user; false when the user has no such passkey. */
  remove(userId: string, credentialId: string): Promise<boolean>;
  /** Deletes every passkey of a user (the user is gone). */
  removeForUser(userId: string): Promise<void>;
}

import { normalizeKey } from "./users/schemas";

/**
 * Every claim and throttle key, built in one place. A claim's key is its decision (see
 * ports.ts: ClaimStore); the group lets every claim of a user go when the user does. The
 * strings are stored: changing one orphans the claims made before (they expire and are swept).
 */
export const claimKeys = {
  /** The group of every claim that belongs to one user. */
  userGroup: (userId: string) => `user:${userId}`,
  /** Throttle key of a known account (password and second-factor attempts). */
  account: (userId: string) => `user:${userId}`,
  /** Throttle key of an identifier that matches no account (same cost, same limit). */
  unknownAccount: (identifier: string) => `unknown:${normalizeKey(identifier)}`,
  /** The slots of one throttle key in one window; slot n is `<group>:<n>`. */
  throttleWindow: (throttle: string, key: string, window: number) => `throttle:${throttle}:${key}:${window}`,
  /** The lock record of one throttle key (ThrottleLockStore), across windows. */
  throttleLock: (throttle: string, key: string) => `throttle:${throttle}:${key}`,
  /** One try (`try:<n>`), the single use (`used`) or the replacement (`replaced`) of an activation code. */
  activationCode: (codeId: string, what: string) => `activation:${codeId}:${what}`,
  /** The same for the code that confirms an email change. */
  emailChangeCode: (codeId: string, what: string) => `email-change:${codeId}:${what}`,
  /** One try, the use (`used`) or the replacement of a login code. */
  loginCode: (codeId: string, what: string) => `login-code:${codeId}:${what}`,
  /** The one new login code after `previous` (a code id, or "none"). */
  loginCodeIssue: (userId: string, previous: string) => `login-code-issue:${userId}:${previous}`,
  /** One reset email per cooldown: keyed by the previous request's time. */
  resetRequest: (userId: string, previousRequestMs: number) => `reset-request:${userId}:${previousRequestMs}`,
  /** The replacement of one stored password hash (by a change, or once by an upgrade). */
  passwordHash: (userId: string, hashDigest: string) => `password-hash:${userId}:${hashDigest}`,
  /**
   * An address given up by an email change, kept for its revert link's life: nobody else
   * may register it or change to it meanwhile, so the revert can always take it back.
   */
  emailReservation: (emailKey: string) => `email-reserved:${emailKey}`,
  /** The single use of an email-change revert link (by its keyed hash). */
  emailRevert: (userId: string, tokenHash: string) => `email-revert:${userId}:${tokenHash}`,
  /** The single use of a reset link. */
  resetToken: (tokenId: string) => `reset-token:${tokenId}`,
  /** The end of one MFA enrolment (confirmed, or replaced by a new enable). */
  mfaEnrolment: (pendingId: string) => `mfa-confirm:${pendingId}`,
  /** One accepted TOTP time step of a user (a code cannot be replayed). */
  totpStep: (userId: string, step: number) => `totp:${userId}:${step}`,
  /** The single use of a recovery code. */
  recoveryCode: (userId: string, codeHash: string) => `recovery:${userId}:${codeHash}`,
  /** The single use of a passkey ceremony's challenge (by its random part). */
  passkeyChallenge: (nonce: string) => `passkey-challenge:${nonce}`,
  /** One accepted signature counter of a passkey (two assertions cannot both take one value). */
  passkeyCounter: (credentialId: string, counter: number) => `passkey-counter:${credentialId}:${counter}`,
  /** The group of the challenge claims of ceremonies bound to no user (discoverable sign-in). */
  passkeyGroup: "passkeys",
  /** The leases of one outbox message generation; lease n is `<group>:<n>`. */
  outboxLeases: (messageId: string, generation: number) => `outbox:${messageId}:${generation}`,
  /** The leases of one webhook delivery generation; lease n is `<group>:<n>`. */
  webhookLeases: (deliveryId: string, generation: number) => `webhook:${deliveryId}:${generation}`,
} as const;

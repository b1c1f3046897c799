import { normalizeKey } from "../users/schemas";
import type { UserRecord } from "../users/user";
import type { EmailMessage } from "./mailer";
import type { ClaimedMessage } from "./outbox-store";
import {
  renderActivation,
  renderEmailChangeCode,
  renderEmailChanged,
  renderLoginLocked,
  renderMfaDisabled,
  renderMfaEnabled,
  renderMfaLocked,
  renderPasswordChanged,
  renderPasswordReset,
} from "./templates";

/** What to do with a claimed message: send it, drop it (superseded), or wait (not yet valid). */
export type MessageVerdict = "send" | "drop" | "wait";

/**
 * One kind of email: its name (stored with each queued message), its template, and the rule
 * that decides at send time whether the message is still wanted (none: always sent). The
 * rule sees the user as stored now, or null when there is none (yet, or any more).
 */
export type EmailKindDefinition<Kind extends string = string, Vars = never> = {
  kind: Kind;
  render(vars: Vars): EmailMessage;
  stillWanted?: (message: ClaimedMessage, user: UserRecord | null) => MessageVerdict;
};

const define = <const Kind extends string, Vars>(definition: EmailKindDefinition<Kind, Vars>) => definition;

/**
 * A code (activation, email change) is sent while it is the user's live code. A message
 * newer than the stored code waits: it was queued before its code was written.
 */
const liveCode = (message: ClaimedMessage, code: { code_id: string; sent_at: Date } | null | undefined) => {
  if (code?.code_id === message.ref) return "send";
  return message.createdAt.getTime() >= (code?.sent_at.getTime() ?? 0) ? "wait" : "drop";
};

/** A new account's activation code; waits for a user still being written. */
export const activationEmail = define({
  kind: "activation",
  render: renderActivation,
  stillWanted: (message, user) =>
    !user ? "wait" : user.is_active ? "drop" : liveCode(message, user.activation),
});

/** A reset link: only ever to the user's current address. */
export const passwordResetEmail = define({
  kind: "password-reset",
  render: renderPasswordReset,
  stillWanted: (message, user) =>
    user && normalizeKey(user.email) === normalizeKey(message.email.to) ? "send" : "drop",
});

/** The notice after a password change or reset. */
export const passwordChangedEmail = define({ kind: "password-changed", render: renderPasswordChanged });

/** The code that proves the user owns a new address. */
export const emailChangeCodeEmail = define({
  kind: "email-change",
  render: renderEmailChangeCode,
  stillWanted: (message, user) => (!user ? "drop" : liveCode(message, user.email_change)),
});

/** The notice to the old address after the email changed (with the link that reverts it). */
export const emailChangedEmail = define({ kind: "email-changed", render: renderEmailChanged });

/** The notice of a first second-factor lock (the password was right): to the current address only. */
export const mfaLockedEmail = define({
  kind: "mfa-locked",
  render: renderMfaLocked,
  stillWanted: (message, user) =>
    user && normalizeKey(user.email) === normalizeKey(message.email.to) ? "send" : "drop",
});

/** The notice of a first login lock: to the user's current address only. */
export const loginLockedEmail = define({
  kind: "login-locked",
  render: renderLoginLocked,
  stillWanted: (message, user) =>
    user && normalizeKey(user.email) === normalizeKey(message.email.to) ? "send" : "drop",
});
/** The notice that MFA was turned on (a new recovery-code set was issued with it). */
export const mfaEnabledEmail = define({ kind: "mfa-enabled", render: renderMfaEnabled });

/** The notice that MFA was turned off. */
export const mfaDisabledEmail = define({ kind: "mfa-disabled", render: renderMfaDisabled });

/** Every kind of email the service sends. */
export const emailKinds = [
  activationEmail,
  passwordResetEmail,
  passwordChangedEmail,
  emailChangeCodeEmail,
  emailChangedEmail,
  loginLockedEmail,
  mfaLockedEmail,
  mfaEnabledEmail,
  mfaDisabledEmail,
] as const;

export type EmailKind = (typeof emailKinds)[number]["kind"];

const byName = new Map<string, (typeof emailKinds)[number]>(emailKinds.map((k) => [k.kind, k]));

/** The definition of a stored kind name (undefined for a name no longer sent). */
export const emailKindNamed = (name: string) => byName.get(name);

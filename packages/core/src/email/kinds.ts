import { normalizeKey } from "../users/schemas";
import type { UserRecord } from "../users/user";
import type { ClaimedMessage } from "./outbox-store";

/** What to do with a claimed message: send it, drop it (superseded), or wait (not yet valid). */
export type MessageVerdict = "send" | "drop" | "wait";

/** What every kind's templates get: the recipient and the user's first name. */
export type BaseEmailVars = { to: string; firstName: string };

/**
 * One kind of email: its name (stored with each queued message and naming its template
 * files `<kind>.{subject,text,html}.hbs`), sample variables (the type of its variables, and
 * what the templates are checked with at start), and the rule that decides at send time
 * whether the message is still wanted (none: always sent). The rule sees the user as
 * stored now, or null when there is none (yet, or any more).
 */
export type EmailKindDefinition<Kind extends string = string, Vars extends BaseEmailVars = BaseEmailVars> = {
  kind: Kind;
  sample: Vars;
  stillWanted?: (message: ClaimedMessage, user: UserRecord | null) => MessageVerdict;
};

const define = <const Kind extends string, Vars extends BaseEmailVars>(
  definition: EmailKindDefinition<Kind, Vars>,
) => definition;

const sampleLink = (path: string) =>
  `https://app.example.com/${path}?token=63a1f1234abc5678def12345.q3mF0Xw8bW5y`;
/** Typed sample variables. */
const vars = <V extends BaseEmailVars>(v: V): V => v;
const base: BaseEmailVars = { to: "john@example.com", firstName: "John" };

/** The variables of each kind (what its templates may use; see docs/emails.md). */
export type ActivationVars = BaseEmailVars & { code: string; link: string; expiresInMinutes: number };
export type PasswordResetVars = BaseEmailVars & { link: string; expiresInMinutes: number };
export type EmailChangeVars = BaseEmailVars & { code: string; link: string; expiresInMinutes: number };
export type EmailChangedVars = BaseEmailVars & { newEmail: string; revertLink: string; revertDays: number };
export type LoginLockedVars = BaseEmailVars & { failures: number; lockedMinutes: number };
export type MfaLockedVars = BaseEmailVars & { failures: number };
export type LoginCodeVars = BaseEmailVars & { code: string; link: string; expiresInMinutes: number };
export type PasskeyNoticeVars = BaseEmailVars & { passkeyName: string };

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
  sample: vars<ActivationVars>({
    ...base,
    code: "042917",
    link: sampleLink("activate"),
    expiresInMinutes: 60,
  }),
  stillWanted: (message, user) =>
    !user ? "wait" : user.is_active ? "drop" : liveCode(message, user.activation),
});

/** A reset link: only ever to the user's current address. */
export const passwordResetEmail = define({
  kind: "password-reset",
  sample: vars<PasswordResetVars>({ ...base, link: sampleLink("reset-password"), expiresInMinutes: 30 }),
  stillWanted: (message, user) =>
    user && normalizeKey(user.email) === normalizeKey(message.email.to) ? "send" : "drop",
});

/** The notice after a password change or reset. */
export const passwordChangedEmail = define({ kind: "password-changed", sample: base });

/** The code that proves the user owns a new address. */
export const emailChangeCodeEmail = define({
  kind: "email-change",
  sample: vars<EmailChangeVars>({
    ...base,
    to: "john.new@example.com",
    code: "042917",
    link: sampleLink("confirm-email"),
    expiresInMinutes: 60,
  }),
  stillWanted: (message, user) => (!user ? "drop" : liveCode(message, user.email_change)),
});

/** The notice to the old address after the email changed (with the link that reverts it). */
export const emailChangedEmail = define({
  kind: "email-changed",
  sample: vars<EmailChangedVars>({
    ...base,
    newEmail: "john.new@example.com",
    revertLink: sampleLink("revert-email"),
    revertDays: 7,
  }),
});

/** The notice of a first second-factor lock (the password was right): to the current address only. */
export const mfaLockedEmail = define({
  kind: "mfa-locked",
  sample: vars<MfaLockedVars>({ ...base, failures: 5 }),
  stillWanted: (message, user) =>
    user && normalizeKey(user.email) === normalizeKey(message.email.to) ? "send" : "drop",
});

/** The notice of a first login lock: to the user's current address only. */
export const loginLockedEmail = define({
  kind: "login-locked",
  sample: vars<LoginLockedVars>({ ...base, failures: 5, lockedMinutes: 15 }),
  stillWanted: (message, user) =>
    user && normalizeKey(user.email) === normalizeKey(message.email.to) ? "send" : "drop",
});
/**
 * A one-time sign-in code: sent while it is the user's live code, to the address the account
 * still has, and only to an active account.
 */
export const loginCodeEmail = define({
  kind: "login-code",
  sample: vars<LoginCodeVars>({
    ...base,
    code: "042917",
    link: sampleLink("login-code"),
    expiresInMinutes: 10,
  }),
  stillWanted: (message, user) => {
    if (!user?.is_active || normalizeKey(user.email) !== normalizeKey(message.email.to)) return "drop";
    return liveCode(message, user.login_code);
  },
});

/** The notice that MFA was turned on (a new recovery-code set was issued with it). */
export const mfaEnabledEmail = define({ kind: "mfa-enabled", sample: base });

/** The notice that MFA was turned off. */
export const mfaDisabledEmail = define({ kind: "mfa-disabled", sample: base });

/** The notice that a passkey was added to the account. */
export const passkeyAddedEmail = define({
  kind: "passkey-added",
  sample: vars<PasskeyNoticeVars>({ ...base, passkeyName: "MacBook Touch ID" }),
});

/** The notice that a passkey was removed from the account. */
export const passkeyRemovedEmail = define({
  kind: "passkey-removed",
  sample: vars<PasskeyNoticeVars>({ ...base, passkeyName: "MacBook Touch ID" }),
});

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
  loginCodeEmail,
  passkeyAddedEmail,
  passkeyRemovedEmail,
] as const;

export type EmailKind = (typeof emailKinds)[number]["kind"];

const byName = new Map<string, (typeof emailKinds)[number]>(emailKinds.map((k) => [k.kind, k]));

/** The definition of a stored kind name (undefined for a name no longer sent). */
export const emailKindNamed = (name: string) => byName.get(name);

import type { EmailMessage } from "./mailer";

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #222">
${body}
</body></html>`;

/** The email carrying a new account's activation code and one-click link. */
export function renderActivation(input: {
  to: string;
  firstName: string;
  code: string;
  link: string;
  expiresInMinutes: number;
}): EmailMessage {
  const subject = `Your activation code: ${input.code}`;
  const text = [
    `Hello ${input.firstName},`,
    "",
    `Your activation code is ${input.code}.`,
    "Or activate your account with one click:",
    input.link,
    "",
    `The code and the link expire in ${input.expiresInMinutes} minutes and work once.`,
    "",
    "If you did not create an account, ignore this email.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>Your activation code is</p>
<p style="font-size: 28px; font-weight: bold; letter-spacing: 4px">${escapeHtml(input.code)}</p>
<p>Or <a href="${escapeHtml(input.link)}">activate your account with one click</a>.</p>
<p>The code and the link expire in ${input.expiresInMinutes} minutes and work once.</p>
<p style="color: #666">If you did not create an account, ignore this email.</p>`,
  );
  return { to: input.to, subject, text, html };
}

/** The email carrying a password reset link. */
export function renderPasswordReset(input: {
  to: string;
  firstName: string;
  link: string;
  expiresInMinutes: number;
}): EmailMessage {
  const subject = "Reset your password";
  const text = [
    `Hello ${input.firstName},`,
    "",
    "Someone (hopefully you) asked to reset your password. Open this link to choose a new one:",
    input.link,
    "",
    `It expires in ${input.expiresInMinutes} minutes and works once.`,
    "If you did not ask for this, ignore this email: your password stays as it is.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>Someone (hopefully you) asked to reset your password.</p>
<p><a href="${escapeHtml(input.link)}">Choose a new password</a></p>
<p>It expires in ${input.expiresInMinutes} minutes and works once.</p>
<p style="color: #666">If you did not ask for this, ignore this email: your password stays as it is.</p>`,
  );
  return { to: input.to, subject, text, html };
}

/** The notice sent after a password was changed or reset. */
export function renderPasswordChanged(input: { to: string; firstName: string }): EmailMessage {
  const subject = "Your password was changed";
  const text = [
    `Hello ${input.firstName},`,
    "",
    "The password of your account was just changed.",
    "If this was not you, reset your password now and contact support.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>The password of your account was just changed.</p>
<p><strong>If this was not you</strong>, reset your password now and contact support.</p>`,
  );
  return { to: input.to, subject, text, html };
}

/** The code (and one-click link) that proves the user owns the new address. */
export function renderEmailChangeCode(input: {
  to: string;
  firstName: string;
  code: string;
  link: string;
  expiresInMinutes: number;
}): EmailMessage {
  const subject = `Confirm your new email address: ${input.code}`;
  const text = [
    `Hello ${input.firstName},`,
    "",
    `Your confirmation code is ${input.code}.`,
    "Enter it to make this your account's email address, or confirm with one click:",
    input.link,
    `The code and the link expire in ${input.expiresInMinutes} minutes.`,
    "If you did not ask for this, ignore this email.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>Your confirmation code is</p>
<p style="font-size: 28px; font-weight: bold; letter-spacing: 4px">${escapeHtml(input.code)}</p>
<p>Enter it to make this your account's email address, or <a href="${escapeHtml(input.link)}">confirm with one click</a>.</p>
<p>The code and the link expire in ${input.expiresInMinutes} minutes.</p>
<p style="color: #666">If you did not ask for this, ignore this email.</p>`,
  );
  return { to: input.to, subject, text, html };
}

/** The notice to the old address after the email changed, with the link that reverts it. */
export function renderEmailChanged(input: {
  to: string;
  firstName: string;
  newEmail: string;
  revertLink: string;
  revertDays: number;
}): EmailMessage {
  const subject = "Your email address was changed";
  const text = [
    `Hello ${input.firstName},`,
    "",
    `Your account's email address is now ${input.newEmail}.`,
    `If this was not you, open this link within ${input.revertDays} days to get this address back:`,
    input.revertLink,
    "It also locks your password until you reset it, and ends any reset link sent meanwhile.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>Your account's email address is now <strong>${escapeHtml(input.newEmail)}</strong>.</p>
<p><strong>If this was not you</strong>, <a href="${escapeHtml(input.revertLink)}">get this address back</a> within ${input.revertDays} days.
It also locks your password until you reset it, and ends any reset link sent meanwhile.</p>`,
  );
  return { to: input.to, subject, text, html };
}

/** The notice that two-factor authentication was turned on (and a recovery-code set issued). */
export function renderMfaEnabled(input: { to: string; firstName: string }): EmailMessage {
  const subject = "Two-factor authentication was turned on";
  const text = [
    `Hello ${input.firstName},`,
    "",
    "Two-factor authentication was just turned on for your account, and a new set of 10 recovery codes was issued.",
    "If this was not you, reset your password now and contact support.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>Two-factor authentication was just turned on for your account, and a new set of 10 recovery codes was issued.</p>
<p><strong>If this was not you</strong>, reset your password now and contact support.</p>`,
  );
  return { to: input.to, subject, text, html };
}

/** The notice that two-factor authentication was turned off. */
export function renderMfaDisabled(input: { to: string; firstName: string }): EmailMessage {
  const subject = "Two-factor authentication was turned off";
  const text = [
    `Hello ${input.firstName},`,
    "",
    "Two-factor authentication was just turned off for your account; its recovery codes no longer work.",
    "If this was not you, reset your password now and contact support.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>Two-factor authentication was just turned off for your account; its recovery codes no longer work.</p>
<p><strong>If this was not you</strong>, reset your password now and contact support.</p>`,
  );
  return { to: input.to, subject, text, html };
}

/** The notice of the first lock of a series: someone failed the password many times. */
export function renderLoginLocked(input: {
  to: string;
  firstName: string;
  failures: number;
  lockedMinutes: number;
}): EmailMessage {
  const subject = "Sign-ins to your account are paused";
  const text = [
    `Hello ${input.firstName},`,
    "",
    `Someone tried to sign in to your account with a wrong password ${input.failures} times in a row,`,
    `so sign-ins are paused for ${input.lockedMinutes} minutes (longer if it goes on).`,
    "If it was you, wait and try again, or reset your password.",
    "If it was not you, reset your password now: someone may know or be guessing it.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>Someone tried to sign in to your account with a wrong password ${input.failures} times in a row,
so sign-ins are paused for ${input.lockedMinutes} minutes (longer if it goes on).</p>
<p>If it was you, wait and try again, or reset your password.</p>
<p><strong>If it was not you</strong>, reset your password now: someone may know or be guessing it.</p>`,
  );
  return { to: input.to, subject, text, html };
}

/** The notice of a first second-factor lock: the password was right, the codes were not. */
export function renderMfaLocked(input: { to: string; firstName: string; failures: number }): EmailMessage {
  const subject = "Someone has your password: change it now";
  const text = [
    `Hello ${input.firstName},`,
    "",
    `Someone signed in to your account with your password, then entered a wrong two-factor code ${input.failures} times,`,
    "so two-factor sign-ins are paused for a while.",
    "If it was you, wait and try again.",
    "If it was not you, your password is known to someone else: change it now.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>Someone signed in to your account with your password, then entered a wrong two-factor code ${input.failures} times,
so two-factor sign-ins are paused for a while.</p>
<p>If it was you, wait and try again.</p>
<p><strong>If it was not you</strong>, your password is known to someone else: change it now.</p>`,
  );
  return { to: input.to, subject, text, html };
}

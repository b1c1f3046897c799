import type { EmailMessage } from "./mailer";

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #222">
${body}
</body></html>`;

/** The email carrying a new account's activation code. */
export function activationEmail(input: {
  to: string;
  firstName: string;
  code: string;
  expiresInMinutes: number;
}): EmailMessage {
  const subject = `Your activation code: ${input.code}`;
  const text = [
    `Hello ${input.firstName},`,
    "",
    `Your activation code is ${input.code}.`,
    `It expires in ${input.expiresInMinutes} minutes and works once.`,
    "",
    "If you did not create an account, ignore this email.",
  ].join("\n");
  const html = layout(
    subject,
    `<p>Hello ${escapeHtml(input.firstName)},</p>
<p>Your activation code is</p>
<p style="font-size: 28px; font-weight: bold; letter-spacing: 4px">${escapeHtml(input.code)}</p>
<p>It expires in ${input.expiresInMinutes} minutes and works once.</p>
<p style="color: #666">If you did not create an account, ignore this email.</p>`,
  );
  return { to: input.to, subject, text, html };
}

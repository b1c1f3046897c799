/**
 * Reads a 6-digit code from the latest email to an address, through Mailpit's HTTP API
 * (the local stack's inbox; in production the user types the code from their email).
 */
export async function codeFromMailpit(
  mailpitUrl: string,
  to: string,
  pattern: RegExp,
  { timeoutMs = 15_000 } = {},
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const query = encodeURIComponent(`to:"${to}"`);
  while (Date.now() < deadline) {
    const found = (await (await fetch(`${mailpitUrl}/api/v1/search?query=${query}&limit=1`)).json()) as {
      messages: { ID: string }[];
    };
    const [latest] = found.messages;
    if (latest) {
      const message = (await (await fetch(`${mailpitUrl}/api/v1/message/${latest.ID}`)).json()) as {
        Text: string;
      };
      const code = pattern.exec(message.Text)?.[1];
      if (code) return code;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no email with a code reached ${to} within ${timeoutMs} ms`);
}

/** The activation code of the email sent on registration. */
export const activationPattern = /activation code is (\d{6})/;

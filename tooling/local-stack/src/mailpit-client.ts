/** A message as read from Mailpit's API. */
export type MailpitMessage = {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
};

type SearchResponse = { messages: { ID: string }[] };
type MessageResponse = {
  ID: string;
  From: { Address: string };
  To: { Address: string }[];
  Subject: string;
  Text: string;
  HTML: string;
};

export type MailpitClient = {
  /** Every message sent to `address`, oldest first. */
  messagesTo(address: string): Promise<MailpitMessage[]>;
  /** Waits until at least `count` messages to `address` arrived (default 1), then returns them. */
  waitForMessages(
    address: string,
    options?: { count?: number; timeoutMs?: number },
  ): Promise<MailpitMessage[]>;
};

/** Reads what was sent through a Mailpit server (see its /api/v1 docs). */
export function createMailpitClient(webUrl: string): MailpitClient {
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${webUrl}${path}`);
    if (!response.ok) throw new Error(`mailpit ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };
  const messagesTo = async (address: string) => {
    const query = encodeURIComponent(`to:"${address}"`);
    const found = await get<SearchResponse>(`/api/v1/search?query=${query}&limit=200`);
    const messages = await Promise.all(
      found.messages.map((m) => get<MessageResponse>(`/api/v1/message/${m.ID}`)),
    );
    return messages.reverse().map((m) => ({
      id: m.ID,
      from: m.From.Address,
      to: m.To.map((t) => t.Address),
      subject: m.Subject,
      text: m.Text,
      html: m.HTML,
    }));
  };
  return {
    messagesTo,
    async waitForMessages(address, { count = 1, timeoutMs = 10_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = await messagesTo(address);
        if (messages.length >= count) return messages;
        if (Date.now() > deadline) {
          throw new Error(
            `expected ${count} message(s) to ${address}, got ${messages.length} in ${timeoutMs} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

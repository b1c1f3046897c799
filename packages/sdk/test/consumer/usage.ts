// Compiled by the pack test in a project outside the workspace, against the packed SDK and
// its peers only, with skipLibCheck: false.
import {
  createUsersClient,
  isUsersServiceError,
  type RouterInputs,
  type User,
  verifyWebhook,
  type WebhookEvent,
  WebhookVerificationError,
} from "@usersvc/sdk";

export type Account = { identifier: string; password: string };

export async function run(url: string, apiKey: string, account: Account, busyUrl: string): Promise<string[]> {
  const client = createUsersClient({ url, apiKey, timeoutMs: 5_000 });
  const lines: string[] = [];
  const health = await client.health.check();
  lines.push(`health:${health.database}`);

  // The README's first example.
  const { identifier, password } = account;
  const checked = await client.auth.check({ identifier, password });
  lines.push(`auth:${checked.is_active}`);

  const input: RouterInputs["users"]["create"] = {
    username: `consumer_${Date.now()}`,
    first_name: "Con",
    last_name: "Sumer",
    email: `consumer.${Date.now()}@example.com`,
    password: "Harbor-Violet-Quill-7",
    password_confirmation: "Harbor-Violet-Quill-7",
    gender: "Other",
  };
  const user: User = await client.users.create(input);
  lines.push(`created:${user.is_active}`);
  const found = await client.users.getById(user.id);
  lines.push(`found:${found.id === user.id}`);

  try {
    await client.users.create(input);
  } catch (error) {
    if (isUsersServiceError(error, "USERNAME_TAKEN")) lines.push(`conflict:${error.status}`);
  }

  // Every user whose name starts with "page_", page after page.
  let listed = 0;
  for await (const each of client.users.listAll({ q: "page_" }))
    if (each.username.startsWith("page_")) listed++;
  lines.push(`listed:${listed}`);

  // Through a proxy that answers the first call 503 SERVICE_BUSY: retried, then answered.
  const throughBusy = createUsersClient({ url: busyUrl, apiKey, retry: { maxAttempts: 3 } });
  const retried = await throughBusy.auth.check({ identifier, password });
  lines.push(`retried:${retried.id === checked.id}`);

  // @ts-expect-error a deliberately wrong call: `id` must be a string
  await client.users.getById({ id: 42 }).catch(() => lines.push("wrong-call-rejected"));
  return lines;
}

/** A webhook receiver's five lines: the raw body, the headers, the subscription's secret. */
export async function receive(body: string, headers: Headers, secret: string): Promise<string> {
  try {
    const event: WebhookEvent = await verifyWebhook(body, headers, secret);
    if (event.type === "user.deleted") return `deleted:${event.data.user_id}`;
    return `${event.type}:${event.data.user?.username ?? "-"}`;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return `refused:${error.reason}`;
    throw error;
  }
}

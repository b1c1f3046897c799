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

export async function run(url: string, apiKey: string): Promise<string[]> {
  const client = createUsersClient({ url, apiKey, timeoutMs: 5_000 });
  const lines: string[] = [];
  const health = await client.users.health.query();
  lines.push(`health:${health.database}`);

  const input: RouterInputs["users"]["create"] = {
    username: `consumer_${Date.now()}`,
    first_name: "Con",
    last_name: "Sumer",
    email: `consumer.${Date.now()}@example.com`,
    password: "Harbor-Violet-Quill-7",
    password_confirmation: "Harbor-Violet-Quill-7",
    gender: "Other",
  };
  const user: User = await client.users.create.mutate(input);
  lines.push(`created:${user.is_active}`);

  try {
    await client.users.create.mutate(input);
  } catch (error) {
    if (isUsersServiceError(error, "USERNAME_TAKEN")) lines.push(`conflict:${error.status}`);
  }

  // @ts-expect-error a deliberately wrong call: `id` must be a string
  await client.users.byId.query({ id: 42 }).catch(() => lines.push("wrong-call-rejected"));
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

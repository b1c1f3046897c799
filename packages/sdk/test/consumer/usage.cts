// Compiled as CommonJS (a .cts file under NodeNext), so the SDK resolves through its
// `require` entry and its .d.cts, with skipLibCheck: false.
import { createUsersClient, isUsersServiceError, type User } from "@usersvc/sdk";

export async function runCommonJs(url: string, apiKey: string): Promise<string> {
  const client = createUsersClient({ url, apiKey, timeoutMs: 5_000 });
  try {
    const user: User = await client.users.byId.query({ id: "63a1f1234abc5678def12345" });
    return `found:${user.username}`;
  } catch (error) {
    if (isUsersServiceError(error, "USER_NOT_FOUND")) return `missing:${error.status}`;
    throw error;
  }
}

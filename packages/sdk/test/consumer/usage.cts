// Compiled as CommonJS (a .cts file under NodeNext), so the SDK resolves through its
// `require` entry and its .d.cts, with skipLibCheck: false.
import { createUsersClient, isUsersServiceError, type User } from "@usersvc/sdk";

export async function runCommonJs(url: string, apiKey: string, identifier: string, password: string) {
  const client = createUsersClient({ url, apiKey, timeoutMs: 5_000 });
  const checked: User = await client.auth.check({ identifier, password });
  try {
    const user: User = await client.users.getById("63a1f1234abc5678def12345");
    return `found:${user.username}`;
  } catch (error) {
    if (isUsersServiceError(error, "USER_NOT_FOUND"))
      return `auth:${checked.is_active} missing:${error.status}`;
    throw error;
  }
}

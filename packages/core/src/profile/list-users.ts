import { DomainError } from "../errors";
import type { UserDirectory } from "../ports";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";
import type { ListUsersInput } from "./schemas";

export type UserPage = { items: User[]; next_cursor: string | null };
export type ListUsers = (input: ListUsersInput) => Promise<UserPage>;

const invalidCursor = () =>
  new DomainError("VALIDATION_ERROR", "Invalid input: cursor: is not a cursor from this API", {
    issues: [{ path: "cursor", message: "is not a cursor from this API" }],
  });

/** The opaque cursor after a user: its creation time and id. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.getTime(), id])).toString("base64url");
}

/** Reads a cursor back; VALIDATION_ERROR for anything this API did not hand out. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") {
      const createdAt = new Date(value[0]);
      if (/^[0-9a-fA-F]{24}$/.test(value[1]) && !Number.isNaN(createdAt.getTime())) {
        return { createdAt, id: value[1] };
      }
    }
  } catch {
    // fall through
  }
  throw invalidCursor();
}

/** Newest first, keyset-paged by an opaque cursor (never skip/offset), filtered. */
export function createListUsers(deps: { users: UserDirectory }): ListUsers {
  return async (input) => {
    const records = await deps.users.list({
      limit: input.limit,
      after: input.cursor ? decodeCursor(input.cursor) : undefined,
      prefix: input.q,
      isActive: input.is_active === undefined ? undefined : input.is_active === "true",
      role: input.role,
    });
    const page = records.slice(0, input.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toUser),
      next_cursor: records.length > input.limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  };
}

import { DomainError } from "../errors";
import type { PublicUserLookup } from "../ports";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";

export type GetUserById = (id: string) => Promise<User>;
export type GetActiveUserByIdentifier = (identifier: string) => Promise<User>;

export const userNotFound = (what: string) => new DomainError("USER_NOT_FOUND", `No user matches ${what}.`);

/** A user by id, active or not (the public view only). */
export function createGetUserById(deps: { users: Pick<PublicUserLookup, "findPublicById"> }): GetUserById {
  return async (id) => {
    const user = await deps.users.findPublicById(id);
    if (!user) throw userNotFound(`the id ${id}`);
    return toUser(user);
  };
}

/** An active user by username or email; inactive users are not found here. */
export function createGetActiveUserByIdentifier(deps: {
  users: Pick<PublicUserLookup, "findPublicByIdentifier">;
}): GetActiveUserByIdentifier {
  return async (identifier) => {
    const user = await deps.users.findPublicByIdentifier(identifier);
    if (!user?.is_active) throw userNotFound("this identifier among active users");
    return toUser(user);
  };
}

import type { ProfileStore } from "../ports";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";
import { userNotFound } from "./lookup";
import type { UpdateUserInput } from "./schemas";

export type UpdateProfile = (input: UpdateUserInput) => Promise<User>;

/** Sets a user's names, gender, role or email locale. */
export function createUpdateProfile(deps: { users: ProfileStore }): UpdateProfile {
  return async ({ id, ...set }) => {
    const updated = /^[0-9a-fA-F]{24}$/.test(id) ? await deps.users.updateProfile(id, set) : null;
    if (!updated) throw userNotFound(`the id ${id}`);
    return toUser(updated);
  };
}

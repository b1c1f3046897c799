import type { SecurityEvents } from "../events/recorder";
import type { ProfileStore, UserLookup } from "../ports";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";
import { userNotFound } from "./lookup";
import type { UpdateUserInput } from "./schemas";

export type UpdateProfile = (input: UpdateUserInput) => Promise<User>;

/**
 * Sets a user's names, gender, role or email locale. Records profile.updated with the names
 * of the fields whose value changed, and role.changed (from, to) when the role did.
 */
export function createUpdateProfile(deps: {
  users: ProfileStore & Pick<UserLookup, "findById">;
  events: SecurityEvents;
}): UpdateProfile {
  return async ({ id, ...set }) => {
    const before = /^[0-9a-fA-F]{24}$/.test(id) ? await deps.users.findById(id) : null;
    const updated = before ? await deps.users.updateProfile(id, set) : null;
    if (!before || !updated) throw userNotFound(`the id ${id}`);
    const fields = (Object.keys(set) as (keyof typeof set)[]).filter(
      (field) => set[field] !== undefined && (before[field] ?? null) !== (updated[field] ?? null),
    );
    if (fields.length > 0) {
      await deps.events.record({ type: "profile.updated", userId: id, details: { fields } });
    }
    if (before.role !== updated.role) {
      await deps.events.record({
        type: "role.changed",
        userId: id,
        details: { from: before.role, to: updated.role },
      });
    }
    return toUser(updated);
  };
}

import { claimKeys } from "../claim-keys";
import type { EmailOutbox } from "../email/outbox";
import type { SecurityEvents } from "../events/recorder";
import type { ClaimStore, PasskeyStore, ResetTokenStore, UserLookup, UserRemoval } from "../ports";
import { userNotFound } from "./lookup";

export type DeleteUser = (by: { id: string } | { identifier: string }) => Promise<{ message: string }>;

/** Deletes a user and what belongs only to them (queued email, reset links, passkeys, claims). */
export function createDeleteUser(deps: {
  users: UserLookup & UserRemoval;
  outbox: Pick<EmailOutbox, "discardForUser">;
  claims: Pick<ClaimStore, "releaseGroup">;
  resetTokens: Pick<ResetTokenStore, "deleteForUser">;
  passkeys: Pick<PasskeyStore, "removeForUser">;
  events: SecurityEvents;
}): DeleteUser {
  return async (by) => {
    const user =
      "id" in by ? await deps.users.findById(by.id) : await deps.users.findByIdentifier(by.identifier);
    if (!user || !(await deps.users.deleteById(user.id))) {
      throw userNotFound("id" in by ? `the id ${by.id}` : "this identifier");
    }
    await deps.events.record({ type: "user.deleted", userId: user.id });
    await deps.outbox.discardForUser(user.id);
    await deps.resetTokens.deleteForUser(user.id);
    await deps.passkeys.removeForUser(user.id);
    await deps.claims.releaseGroup(claimKeys.userGroup(user.id));
    return { message: "User deleted." };
  };
}

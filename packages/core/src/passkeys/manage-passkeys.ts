import { passkeyRemovedEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { PasskeyStore, UserLookup } from "../ports";
import { userNotFound } from "../profile/lookup";
import type { UserRecord } from "../users/user";
import type { RecordEvent } from "./passkey-sign-in";
import { toPasskey } from "./passkey-view";
import type { Reauthenticate } from "./reauthenticate";
import type { Passkey, PasskeyReauthentication } from "./schemas";

export type ManagePasskeys = {
  list(id: string): Promise<{ passkeys: Passkey[] }>;
  rename(input: { id: string; passkey_id: string; name: string }): Promise<Passkey>;
  /** Deletes a passkey after re-authentication; never the last way to sign in. */
  remove(
    input: { id: string; passkey_id: string } & PasskeyReauthentication,
    request: { clientIp: string },
  ): Promise<{ message: string }>;
};

const passkeyNotFound = () =>
  new DomainError("PASSKEY_NOT_FOUND", "This user has no passkey with this id (see GET passkeys).");

const lastSignInMethod = () =>
  new DomainError(
    "LAST_SIGN_IN_METHOD",
    "This is the account's last way to sign in (its password is locked until a reset): reset the password, or add another passkey, first.",
  );

/**
 * A sign-in method is a usable password (every account has one unless an email-change
 * revert locked it until a reset) or a passkey. Emailed codes are not one: they can be
 * switched off. So a passkey may go unless it is the last one of a locked password.
 */
const passwordUsable = (user: UserRecord) => !user.password_locked;

/** Listing, renaming and deleting a user's passkeys. */
export function createManagePasskeys(deps: {
  users: Pick<UserLookup, "findById">;
  passkeys: Pick<PasskeyStore, "listForUser" | "rename" | "remove" | "insert">;
  reauthenticate: Reauthenticate;
  outbox: Pick<EmailOutbox, "queueWith">;
  record?: RecordEvent | undefined;
}): ManagePasskeys {
  const { passkeys } = deps;
  const findUser = async (id: string) => {
    const user = await deps.users.findById(id);
    if (!user) throw userNotFound(`the id ${id}`);
    return user;
  };
  return {
    async list(id) {
      const user = await findUser(id);
      return { passkeys: (await passkeys.listForUser(user.id)).map(toPasskey) };
    },
    async rename({ id, passkey_id, name }) {
      const user = await findUser(id);
      const renamed = await passkeys.rename(user.id, passkey_id, name);
      if (!renamed) throw passkeyNotFound();
      return toPasskey(renamed);
    },
    async remove(input, request) {
      const user = await findUser(input.id);
      await deps.reauthenticate(user, input, request);
      const target = (await passkeys.listForUser(user.id)).find((p) => p.id === input.passkey_id);
      if (!target) throw passkeyNotFound();
      const removed = await deps.outbox.queueWith(
        {
          kind: passkeyRemovedEmail,
          locale: user.locale,
          userId: user.id,
          ref: "notice",
          vars: { to: user.email, firstName: user.first_name, passkeyName: target.name },
        },
        async () => {
          if (!(await passkeys.remove(user.id, target.id))) return false;
          // Read back after the delete (no transactions): of two deletes racing for the last
          // two passkeys, at least one sees none left and puts its passkey back.
          if (!passwordUsable(user) && (await passkeys.listForUser(user.id)).length === 0) {
            await passkeys.insert(target);
            throw lastSignInMethod();
          }
          return true;
        },
      );
      if (!removed) throw passkeyNotFound();
      await deps.record?.({
        type: "passkey.deleted",
        userId: user.id,
        details: { passkey_id: target.id, name: target.name },
      });
      return { message: "Passkey deleted." };
    },
  };
}

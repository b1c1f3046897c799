import { claimKeys } from "../claim-keys";
import { emailChangedEmail, passwordResetEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import { type CodeChecker, wrongCodeMessage } from "../one-time-codes";
import type { EmailChangeStore, ResetTokenStore, UserLookup } from "../ports";
import { userNotFound } from "../profile/lookup";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";

export type ConfirmEmailChangeDeps = {
  users: Pick<UserLookup, "findById"> & Pick<EmailChangeStore, "applyEmailChange">;
  outbox: EmailOutbox;
  codes: CodeChecker;
  /** Outstanding password resets: they end when the address changes. */
  resetTokens: Pick<ResetTokenStore, "deleteForUser">;
};

export type ConfirmEmailChange = (input: { id: string; code: string }) => Promise<User>;

const notPending = (message: string) => new DomainError("EMAIL_CHANGE_NOT_PENDING", message);

/** Confirms with the code: the address changes and the old one gets a notice. */
export function createConfirmEmailChange(deps: ConfirmEmailChangeDeps): ConfirmEmailChange {
  return async (input) => {
    const user = await deps.users.findById(input.id);
    if (!user) throw userNotFound(`the id ${input.id}`);
    const change = user.email_change;
    if (!change) throw notPending("No email change is pending: request one first.");
    const checked = await deps.codes.check({
      group: claimKeys.userGroup(user.id),
      state: change,
      code: input.code,
    });
    switch (checked.outcome) {
      case "locked":
        throw new DomainError("EMAIL_CODE_LOCKED", "Too many wrong codes: request the change again.");
      case "expired":
        throw new DomainError(
          "EMAIL_CODE_EXPIRED",
          "The confirmation code has expired: request the change again.",
        );
      case "wrong":
        throw new DomainError("INVALID_EMAIL_CODE", wrongCodeMessage("confirmation code", checked.triesLeft));
      case "used":
        throw notPending("This change was already confirmed.");
    }
    const updated = await (async () => {
      // Reset links went to the old address: they die before it changes, so that no fault
      // can leave them working afterwards.
      await deps.resetTokens.deleteForUser(user.id);
      // The notice to the old address is queued first, so that it cannot be lost after the change.
      return deps.outbox.queueWith(
        {
          kind: emailChangedEmail,
          userId: user.id,
          ref: "notice",
          vars: { to: user.email, firstName: user.first_name, newEmail: change.new_email },
        },
        () => deps.users.applyEmailChange(user.id, change.code_id),
      );
    })().catch(async (error: unknown) => {
      // Not changed after all: let a retry with the same code through.
      await checked.undo().catch(() => {});
      throw error;
    });
    if (!updated) throw notPending("The change was replaced by a newer request.");
    await deps.outbox.discardForUser(user.id, [passwordResetEmail]);
    return toUser(updated);
  };
}

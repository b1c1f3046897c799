import { claimKeys } from "../claim-keys";
import { emailChangedEmail, passwordResetEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { Keyring } from "../keyring";
import { linkWithToken, newLinkToken, userIdOfLinkToken } from "../link-tokens";
import type { CodeCheck, CodeChecker } from "../one-time-codes";
import type { ClaimStore, EmailChangeStore, ResetTokenStore, UserLookup } from "../ports";
import type { ConfirmEmailInput } from "../profile/schemas";
import type { User } from "../users/schemas";
import { toUser, type UserRecord } from "../users/user";

/** How long the notice's link can take the old address back. */
export const emailRevertDays = 7;

import type { SecurityEvents } from "../events/recorder";

export type ConfirmEmailChangeDeps = {
  users: Pick<UserLookup, "findById"> & Pick<EmailChangeStore, "applyEmailChange">;
  outbox: EmailOutbox;
  codes: CodeChecker;
  /** Outstanding password resets: they end when the address changes. */
  resetTokens: Pick<ResetTokenStore, "deleteForUser">;
  /** Hashes the revert link's token with the current key. */
  keys: Pick<Keyring, "hash">;
  /** Reserves the old address for the revert link's life. */
  claims: Pick<ClaimStore, "claim">;
  /** The notice's revert link: `<revertUrl>?token=...`. */
  revertUrl: string;
  events: SecurityEvents;
};

export type ConfirmEmailChange = (input: ConfirmEmailInput) => Promise<User>;

/** The one answer to every refused confirmation, whatever the account's state. */
export const invalidEmailCode = () =>
  new DomainError(
    "INVALID_EMAIL_CODE",
    "The confirmation code is not valid: it is wrong, expired or used up, no change is pending, or too many codes were tried today. Use the link in the email, or request the change again.",
  );

/**
 * Confirms with the code or the link: the address changes and the old one gets a notice
 * with a link that reverts the change for 7 days. Unknown users, users with nothing
 * pending and wrong codes get the same refusal; the link takes no try of the code.
 */
export function createConfirmEmailChange(deps: ConfirmEmailChangeDeps): ConfirmEmailChange {
  const apply = async (user: UserRecord, checked: CodeCheck): Promise<User> => {
    const change = user.email_change;
    if (!change || checked.outcome !== "ok") throw invalidEmailCode();
    const revert = newLinkToken(deps.keys, user.id);
    const revertUntil = new Date(Date.now() + emailRevertDays * 86_400_000);
    const updated = await (async () => {
      // The old address stays this user's to take back (a renewal when already reserved).
      const reservation = claimKeys.emailReservation(user.email_key);
      await deps.claims.claim(reservation, claimKeys.userGroup(user.id), revertUntil);
      // Reset links went to the old address: they die before it changes, so that no fault
      // can leave them working afterwards.
      await deps.resetTokens.deleteForUser(user.id);
      // The notice to the old address is queued first, so that it cannot be lost after the change.
      return deps.outbox.queueWith(
        {
          kind: emailChangedEmail,
          locale: user.locale,
          userId: user.id,
          ref: "notice",
          vars: {
            to: user.email,
            firstName: user.first_name,
            newEmail: change.new_email,
            revertLink: linkWithToken(deps.revertUrl, revert.token),
            revertDays: emailRevertDays,
          },
        },
        () =>
          deps.users.applyEmailChange(user.id, change.code_id, {
            token_hash: revert.hash,
            email: user.email,
            email_key: user.email_key,
            expires_at: revertUntil,
          }),
        // A change applied despite the error: the address moved, the notice goes out.
        async () => {
          const stored = await deps.users.findById(user.id);
          return stored?.email_key === change.new_email_key && stored.email_change === null ? stored : null;
        },
      );
    })().catch(async (error: unknown) => {
      // Not changed after all: let a retry with the same code or link through.
      await checked.undo().catch(() => {});
      throw error;
    });
    if (!updated) throw invalidEmailCode(); // replaced by a newer request meanwhile
    await deps.events.record({ type: "email.changed", userId: user.id });
    // Best effort: a reset email still queued for the old address is dropped at send time anyway.
    await deps.outbox.discardForUser(user.id, [passwordResetEmail]).catch(() => {});
    return toUser(updated);
  };

  return async (input) => {
    if ("token" in input) {
      const id = userIdOfLinkToken(input.token);
      const user = id ? await deps.users.findById(id) : null;
      if (!user?.email_change) throw invalidEmailCode();
      return apply(
        user,
        await deps.codes.checkToken({ userId: user.id, state: user.email_change, token: input.token }),
      );
    }
    const user = await deps.users.findById(input.id);
    if (!user?.email_change) throw invalidEmailCode();
    return apply(
      user,
      await deps.codes.check({ userId: user.id, state: user.email_change, code: input.code }),
    );
  };
}

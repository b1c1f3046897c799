import { claimKeys } from "../claim-keys";
import { emailChangeCodeEmail, passwordResetEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import type { Keyring } from "../keyring";
import { userIdOfLinkToken } from "../link-tokens";
import type { ClaimStore, EmailChangeStore, PasskeyStore, ResetTokenStore, UserLookup } from "../ports";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";

export type RevertEmailChangeDeps = {
  users: Pick<UserLookup, "findById"> & Pick<EmailChangeStore, "revertEmailChange">;
  claims: ClaimStore;
  resetTokens: Pick<ResetTokenStore, "deleteForUser">;
  /** A taker may have added a passkey (both factors with UV): the revert removes them all. */
  passkeys: Pick<PasskeyStore, "removeForUser">;
  outbox: EmailOutbox;
  /** The revert link's token matches under any configured key. */
  keys: Pick<Keyring, "matches">;
  events: SecurityEvents;
};

export type RevertEmailChange = (input: { token: string }) => Promise<User>;

const invalidLink = () =>
  new DomainError(
    "INVALID_OR_EXPIRED_TOKEN",
    "This link is invalid, expired or already used. If your account was taken over, contact support.",
  );

/**
 * The link of the "email changed" notice, sent to the old address: within 7 days it
 * restores that address, ends every reset link and pending change, removes every passkey
 * (a taker's would outlive the lock), and locks the password until it is reset (through the
 * restored address). Single use (a claim).
 */
export function createRevertEmailChange(deps: RevertEmailChangeDeps): RevertEmailChange {
  return async ({ token }) => {
    const id = userIdOfLinkToken(token);
    const user = id ? await deps.users.findById(id) : null;
    if (!user) throw invalidLink();
    const revert = user.email_reverts.find((r) => deps.keys.matches(token, r.token_hash));
    if (!revert || revert.expires_at.getTime() <= Date.now()) throw invalidLink();
    const claim = claimKeys.emailRevert(user.id, revert.token_hash);
    const keepUntil = new Date(revert.expires_at.getTime() + 86_400_000);
    if (!(await deps.claims.claim(claim, claimKeys.userGroup(user.id), keepUntil))) throw invalidLink();
    let reverted: Awaited<ReturnType<typeof deps.users.revertEmailChange>>;
    try {
      // Reset links went to the address being taken back from: they die first.
      await deps.resetTokens.deleteForUser(user.id);
      // So did any passkey: one the taker added signs in past the password lock and its reset.
      await deps.passkeys.removeForUser(user.id);
      reverted = await deps.users.revertEmailChange(user.id, revert.token_hash);
    } catch (error) {
      // Reverted despite the error (read back): done. Otherwise not reverted (or the address
      // is someone else's now): the link may be tried again.
      const stored = await deps.users.findById(user.id).catch(() => null);
      if (stored?.password_locked && stored.email_key === revert.email_key) {
        await deps.events.record({ type: "email.change_reverted", userId: user.id });
        return toUser(stored);
      }
      await deps.claims.release(claim).catch(() => {});
      throw error;
    }
    if (!reverted) throw invalidLink(); // a revert with another of the user's links won meanwhile
    // Best effort: a link requested in the instant before the address came back.
    await deps.resetTokens.deleteForUser(user.id).catch(() => {});
    await deps.events.record({ type: "email.change_reverted", userId: user.id });
    await deps.outbox.discardForUser(user.id, [passwordResetEmail, emailChangeCodeEmail]).catch(() => {});
    return toUser(reverted);
  };
}

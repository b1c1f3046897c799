import { randomBytes } from "node:crypto";
import { claimKeys } from "../claim-keys";
import { passwordResetEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import type { SecurityEvents } from "../events/recorder";
import type { Keyring } from "../keyring";
import type { ClaimStore, PasswordStore, ResetTokenStore, RunInBackground, UserLookup } from "../ports";
import type { UserRecord } from "../users/user";
import { forgotPasswordMessage } from "./schemas";

export type ForgotPasswordDeps = {
  users: Pick<UserLookup, "findByIdentifier"> & Pick<PasswordStore, "setResetRequestedAt">;
  resetTokens: Pick<ResetTokenStore, "create">;
  outbox: EmailOutbox;
  claims: ClaimStore;
  /** Hashes the token with the current key. */
  keys: Pick<Keyring, "hash">;
  /** Emails link to `<url>?token=...`, valid `expirationMinutes`, at most one per cooldown. */
  reset: { url: string; expirationMinutes: number; cooldownSeconds: number };
  runInBackground: RunInBackground;
  events: SecurityEvents;
};

export type ForgotPassword = (identifier: string) => Promise<{ message: string }>;

/**
 * Always the same answer, whether or not the account exists: the email (if any) is
 * prepared in the background, so its timing cannot tell either.
 */
export function createForgotPassword(deps: ForgotPasswordDeps): ForgotPassword {
  /** At most one link per cooldown (a claim keyed by the previous request), then the email. */
  const sendResetLink = async (user: UserRecord) => {
    const last = user.reset_requested_at?.getTime() ?? 0;
    if (last > Date.now() - deps.reset.cooldownSeconds * 1_000) return;
    const cooldownEnds = new Date(Date.now() + 2 * deps.reset.cooldownSeconds * 1_000 + 60_000);
    const claim = claimKeys.resetRequest(user.id, last);
    if (!(await deps.claims.claim(claim, claimKeys.userGroup(user.id), cooldownEnds))) return;
    try {
      const token = randomBytes(32).toString("base64url");
      const expiresAt = new Date(Date.now() + deps.reset.expirationMinutes * 60_000);
      await deps.resetTokens.create({
        userId: user.id,
        tokenHash: deps.keys.hash(token),
        emailKey: user.email_key,
        expiresAt,
      });
      const link = new URL(deps.reset.url);
      link.searchParams.set("token", token);
      // Queued before the cooldown is written: should that write fail, the link still goes out.
      await deps.outbox.queue({
        kind: passwordResetEmail,
        locale: user.locale,
        userId: user.id,
        ref: "link",
        vars: {
          to: user.email,
          firstName: user.first_name,
          link: link.toString(),
          expiresInMinutes: deps.reset.expirationMinutes,
        },
      });
      await deps.users.setResetRequestedAt(user.id, new Date());
      await deps.events.record({ type: "password.reset_requested", userId: user.id });
    } catch (error) {
      // The cooldown was not written: the next request may try again at once.
      await deps.claims.release(claim).catch(() => {});
      throw error;
    }
  };

  return async (identifier) => {
    const user = await deps.users.findByIdentifier(identifier);
    if (user) deps.runInBackground(() => sendResetLink(user));
    return { message: forgotPasswordMessage };
  };
}

import { passwordChangedEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { LoginAttempts } from "../login/login-attempts";
import { passwordResetRequired } from "../login/step-up";
import type { PasswordStore, ResetTokenStore, UserLookup } from "../ports";
import type { UserRecord } from "../users/user";
import type { HashSuccession } from "./hash-succession";

export type ReplacePasswordDeps = {
  users: Pick<PasswordStore, "setPasswordHash"> & Pick<UserLookup, "findById">;
  succession: Pick<HashSuccession, "beforeChange">;
  resetTokens: Pick<ResetTokenStore, "deleteForUser">;
  attempts: Pick<LoginAttempts, "clearAccount">;
  outbox: EmailOutbox;
};

/**
 * Stores a new password hash, ends outstanding resets and lockouts, and notifies the user.
 * A reset (`unlock`) lifts a password lock; a change refuses one set meanwhile
 * (PASSWORD_RESET_REQUIRED), so a change racing a revert cannot undo the revert's lock.
 */
export type ReplacePassword = (
  user: UserRecord,
  passwordHash: string,
  options: { unlock: boolean },
) => Promise<void>;

export function createReplacePassword(deps: ReplacePasswordDeps): ReplacePassword {
  return async (user, passwordHash, { unlock }) => {
    const succession = await deps.succession.beforeChange(user);
    // The notice is queued before the write it announces (and discarded if that fails), so
    // a fault in what follows cannot leave a changed password unannounced.
    const stored = await deps.outbox
      .queueWith(
        {
          kind: passwordChangedEmail,
          locale: user.locale,
          userId: user.id,
          ref: "notice",
          vars: { to: user.email, firstName: user.first_name },
        },
        () => deps.users.setPasswordHash(user.id, passwordHash, { changedAt: new Date(), unlock }),
        // Stored despite the error: the password did change, the notice goes out.
        async () => ((await deps.users.findById(user.id))?.password_hash === passwordHash ? true : null),
      )
      .catch(async (error: unknown) => {
        await succession.release().catch(() => {});
        throw error;
      });
    if (!stored) {
      await succession.release().catch(() => {});
      throw passwordResetRequired(); // locked by a revert since the user was read
    }
    // Links made before this instant are refused by the reset even if this fails.
    await deps.resetTokens.deleteForUser(user.id);
    await deps.attempts.clearAccount(user.id);
  };
}

/** A new password must not be the username or the email (the schema checks registration). */
export function assertPasswordPolicy(user: Pick<UserRecord, "username" | "email">, password: string): void {
  const lowered = password.toLowerCase();
  if (lowered === user.username.toLowerCase() || lowered === user.email.toLowerCase()) {
    throw new DomainError(
      "VALIDATION_ERROR",
      "Invalid input: password: must not be the username or the email",
      {
        issues: [{ path: "password", message: "must not be the username or the email" }],
      },
    );
  }
}

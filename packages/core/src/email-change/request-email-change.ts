import { claimKeys } from "../claim-keys";
import { emailChangeCodeEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError, takenError } from "../errors";
import type { CodeChecker } from "../one-time-codes";
import type { EmailChangeStore, UserLookup } from "../ports";
import { userNotFound } from "../profile/lookup";
import { normalizeKey } from "../users/schemas";

export type RequestEmailChangeDeps = {
  users: UserLookup & Pick<EmailChangeStore, "setEmailChange">;
  outbox: EmailOutbox;
  codes: CodeChecker;
  codeLifetimeMinutes: number;
  /** At most one code per user this often. */
  cooldownSeconds: number;
};

export type RequestEmailChange = (input: { id: string; new_email: string }) => Promise<{ message: string }>;

/** Sends a code to the new address; the address changes only once it is confirmed. */
export function createRequestEmailChange(deps: RequestEmailChangeDeps): RequestEmailChange {
  return async (input) => {
    const user = await deps.users.findById(input.id);
    if (!user) throw userNotFound(`the id ${input.id}`);
    const newEmail = input.new_email.trim();
    const key = normalizeKey(newEmail);
    if (key === user.email_key) {
      throw new DomainError("VALIDATION_ERROR", "Invalid input: new_email: is already this user's address", {
        issues: [{ path: "new_email", message: "is already this user's address" }],
      });
    }
    if (await deps.users.findByIdentifier(key)) throw takenError("EMAIL_TAKEN");
    // At most one code per cooldown, and each pending code replaced once: re-requesting
    // buys neither more guesses nor a flood of mail.
    const pending = user.email_change;
    if (pending) {
      const wait = Math.ceil((pending.sent_at.getTime() + deps.cooldownSeconds * 1_000 - Date.now()) / 1_000);
      if (wait > 0 || !(await deps.codes.claimReplacement(claimKeys.userGroup(user.id), pending))) {
        const seconds = Math.max(wait, 1);
        throw new DomainError("TOO_MANY_ATTEMPTS", `A code was just sent; try again in ${seconds} seconds.`, {
          retryAfterSeconds: seconds,
        });
      }
    }
    const { code, state } = deps.codes.newCode(deps.codeLifetimeMinutes);
    await deps.outbox
      .queueWith(
        {
          kind: emailChangeCodeEmail,
          userId: user.id,
          ref: state.code_id,
          vars: {
            to: newEmail,
            firstName: user.first_name,
            code,
            expiresInMinutes: deps.codeLifetimeMinutes,
          },
        },
        () => deps.users.setEmailChange(user.id, { ...state, new_email: newEmail, new_email_key: key }),
      )
      .catch(async (error: unknown) => {
        // Nothing was replaced: a later request may replace the pending code.
        if (pending) await deps.codes.releaseReplacement(pending).catch(() => {});
        throw error;
      });
    return { message: "A confirmation code has been sent to the new address." };
  };
}

import { claimKeys } from "../claim-keys";
import { emailChangeCodeEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError, takenError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import { linkWithToken } from "../link-tokens";
import type { StepUp, StepUpProof } from "../login/step-up";
import { type CodeChecker, secondsUntilReplaceable } from "../one-time-codes";
import type { ClaimStore, EmailChangeStore, UserLookup } from "../ports";
import { userNotFound } from "../profile/lookup";
import { normalizeKey } from "../users/schemas";

export type RequestEmailChangeDeps = {
  /** Addresses reserved for another account's revert are taken. */
  claims: Pick<ClaimStore, "claimedAt">;
  users: UserLookup & Pick<EmailChangeStore, "setEmailChange">;
  outbox: EmailOutbox;
  codes: CodeChecker;
  stepUp: Pick<StepUp, "confirm">;
  codeLifetimeMinutes: number;
  /** The email's one-click link: `<confirmUrl>?token=...`. */
  confirmUrl: string;
  /** At most one code per user this often, doubling with each new code of the day. */
  cooldownSeconds: number;
  events: SecurityEvents;
};

export type RequestEmailChange = (
  input: { id: string; new_email: string } & StepUpProof,
  request: { clientIp: string },
) => Promise<{ message: string }>;

/**
 * Sends a code and a one-click link to the new address; the address changes only once it
 * is confirmed. Needs the current password (and the second factor with MFA on).
 */
export function createRequestEmailChange(deps: RequestEmailChangeDeps): RequestEmailChange {
  return async (input, request) => {
    const user = await deps.users.findById(input.id);
    if (!user) throw userNotFound(`the id ${input.id}`);
    await deps.stepUp.confirm(user, input, request);
    const newEmail = input.new_email.trim();
    const key = normalizeKey(newEmail);
    if (key === user.email_key) {
      throw new DomainError("VALIDATION_ERROR", "Invalid input: new_email: is already this user's address", {
        issues: [{ path: "new_email", message: "is already this user's address" }],
      });
    }
    if (await deps.users.findByIdentifier(key)) throw takenError("EMAIL_TAKEN");
    // Reserved for another account's revert link (an address this user gave up is theirs again).
    const ownReservation = user.email_reverts.some((r) => r.email_key === key);
    if (!ownReservation && (await deps.claims.claimedAt(claimKeys.emailReservation(key))))
      throw takenError("EMAIL_TAKEN");
    // At most one code per cooldown (backing off), and each pending code replaced once:
    // re-requesting buys neither more guesses nor a flood of mail.
    const pending = user.email_change;
    if (pending) {
      const wait = secondsUntilReplaceable(pending, deps.cooldownSeconds);
      if (wait > 0 || !(await deps.codes.claimReplacement(user.id, pending))) {
        const seconds = Math.max(wait, 1);
        throw new DomainError("TOO_MANY_ATTEMPTS", `A code was just sent; try again in ${seconds} seconds.`, {
          retryAfterSeconds: seconds,
        });
      }
    }
    const { code, token, state } = deps.codes.newCode({
      lifetimeMinutes: deps.codeLifetimeMinutes,
      userId: user.id,
      replacing: pending,
    });
    await deps.outbox
      .queueWith(
        {
          kind: emailChangeCodeEmail,
          locale: user.locale,
          userId: user.id,
          ref: state.code_id,
          vars: {
            to: newEmail,
            firstName: user.first_name,
            code,
            link: linkWithToken(deps.confirmUrl, token),
            expiresInMinutes: deps.codeLifetimeMinutes,
          },
        },
        () => deps.users.setEmailChange(user.id, { ...state, new_email: newEmail, new_email_key: key }),
        // A change stored despite the error: its code is the pending one, so is its email.
        async () =>
          (await deps.users.findById(user.id))?.email_change?.code_id === state.code_id ? undefined : null,
      )
      .catch(async (error: unknown) => {
        // Nothing was replaced: a later request may replace the pending code.
        if (pending) await deps.codes.releaseReplacement(pending).catch(() => {});
        throw error;
      });
    await deps.events.record({ type: "email.change_requested", userId: user.id });
    return { message: "A confirmation code has been sent to the new address." };
  };
}

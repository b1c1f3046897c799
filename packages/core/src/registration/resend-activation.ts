import { claimKeys } from "../claim-keys";
import { activationEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import type { CodeChecker } from "../one-time-codes";
import type { ActivationStore, UserLookup } from "../ports";

export const resendActivationMessage =
  "If an account with this identifier is waiting for activation, a new code has been sent.";

export type ResendActivationDeps = {
  users: Pick<UserLookup, "findByIdentifier"> & Pick<ActivationStore, "replaceActivation">;
  outbox: EmailOutbox;
  codes: CodeChecker;
  codeLifetimeMinutes: number;
  /** A code is replaced only once it is this old. */
  cooldownSeconds: number;
};

export type ResendActivation = (identifier: string) => Promise<{ message: string }>;

/**
 * Sends a new code (the old one dies), at most once per cooldown per user: a code is
 * replaced only once it is that old, and only once (a claim). Answers the same way whether
 * or not the account exists or is already active.
 */
export function createResendActivation(deps: ResendActivationDeps): ResendActivation {
  return async (identifier) => {
    const user = await deps.users.findByIdentifier(identifier);
    const current = user?.activation;
    if (!user || user.is_active || !current) return { message: resendActivationMessage };
    const cooledDown = current.sent_at.getTime() <= Date.now() - deps.cooldownSeconds * 1_000;
    if (!cooledDown) return { message: resendActivationMessage };
    if (!(await deps.codes.claimReplacement(claimKeys.userGroup(user.id), current)))
      return { message: resendActivationMessage };
    const { code, state: activation } = deps.codes.newCode(deps.codeLifetimeMinutes);
    try {
      await deps.outbox.queueWith(
        {
          kind: activationEmail,
          userId: user.id,
          ref: activation.code_id,
          vars: {
            to: user.email,
            firstName: user.first_name,
            code,
            expiresInMinutes: deps.codeLifetimeMinutes,
          },
        },
        () => deps.users.replaceActivation({ id: user.id, codeId: current.code_id, activation }),
      );
    } catch (error) {
      // Nothing was replaced: a later resend may try again.
      await deps.codes.releaseReplacement(current).catch(() => {});
      throw error;
    }
    return { message: resendActivationMessage };
  };
}

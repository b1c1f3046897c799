import { activationEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { linkWithToken } from "../link-tokens";
import { type CodeChecker, secondsUntilReplaceable } from "../one-time-codes";
import type { ActivationStore, UserLookup } from "../ports";

export const resendActivationMessage =
  "If an account with this identifier is waiting for activation, a new code has been sent.";

export type ResendActivationDeps = {
  users: Pick<UserLookup, "findByIdentifier" | "findById"> & Pick<ActivationStore, "replaceActivation">;
  outbox: EmailOutbox;
  codes: CodeChecker;
  codeLifetimeMinutes: number;
  /** The email's link: `<activationUrl>?token=...`. */
  activationUrl: string;
  /** A code is replaced only once it is this old, doubling with each resend of the day. */
  cooldownSeconds: number;
};

export type ResendActivation = (identifier: string) => Promise<{ message: string }>;

/**
 * Sends a new code and link (the old ones die), backing off: a code is replaced only once
 * it is `cooldown × 2^n` old (n = codes already resent that day, at most a day), and only
 * once (a claim). Answers the same way whether or not the account exists or is active.
 */
export function createResendActivation(deps: ResendActivationDeps): ResendActivation {
  return async (identifier) => {
    const user = await deps.users.findByIdentifier(identifier);
    const current = user?.activation;
    if (!user || user.is_active || !current) return { message: resendActivationMessage };
    if (secondsUntilReplaceable(current, deps.cooldownSeconds) > 0)
      return { message: resendActivationMessage };
    if (!(await deps.codes.claimReplacement(user.id, current))) return { message: resendActivationMessage };
    const {
      code,
      token,
      state: activation,
    } = deps.codes.newCode({
      lifetimeMinutes: deps.codeLifetimeMinutes,
      userId: user.id,
      replacing: current,
    });
    try {
      await deps.outbox.queueWith(
        {
          kind: activationEmail,
          locale: user.locale,
          userId: user.id,
          ref: activation.code_id,
          vars: {
            to: user.email,
            firstName: user.first_name,
            code,
            link: linkWithToken(deps.activationUrl, token),
            expiresInMinutes: deps.codeLifetimeMinutes,
          },
        },
        () => deps.users.replaceActivation({ id: user.id, codeId: current.code_id, activation }),
        // A replacement that landed despite the error: the new code is the user's, so is its email.
        async () =>
          (await deps.users.findById(user.id))?.activation?.code_id === activation.code_id ? true : null,
      );
    } catch (error) {
      // Nothing was replaced: a later resend may try again.
      await deps.codes.releaseReplacement(current).catch(() => {});
      throw error;
    }
    return { message: resendActivationMessage };
  };
}

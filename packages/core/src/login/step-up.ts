import { DomainError } from "../errors";
import type { SecondFactor } from "../mfa/second-factor";
import type { PasswordHasher } from "../password/password-hasher";
import type { UserRecord } from "../users/user";
import type { LoginAttempts } from "./login-attempts";

/** What a sensitive change must come with: the current password, and the second factor with MFA on. */
export type StepUpProof = { current_password: string; totp_code?: string | undefined };

export type StepUp = {
  /**
   * The current password (a wrong one counts as a failed login, under the same throttle),
   * then, with MFA on, `totp_code` (MFA_REQUIRED / INVALID_MFA_CODE, under the MFA throttle).
   */
  confirm(user: UserRecord, proof: StepUpProof, request: { clientIp: string }): Promise<void>;
  /** The current password only (the caller checks a second factor of its own). */
  confirmPassword(user: UserRecord, password: string, request: { clientIp: string }): Promise<void>;
};

/** The answer to a right password of an account whose password was locked by an email-change revert. */
export const passwordResetRequired = () =>
  new DomainError(
    "PASSWORD_RESET_REQUIRED",
    "This account's password was locked after an email change was reverted: reset it (password/forgot) to use it again.",
  );

/**
 * Re-authentication for sensitive changes (email change, MFA on and off): a hijacked
 * caller session that knows only the user's id cannot make them.
 */
export function createStepUp(deps: {
  attempts: LoginAttempts;
  hasher: PasswordHasher;
  secondFactor: Pick<SecondFactor, "require">;
}): StepUp {
  const confirmPassword: StepUp["confirmPassword"] = async (user, password, request) => {
    const attempt = await deps.attempts.start({ user, identifier: user.id, clientIp: request.clientIp });
    if (!(await attempt.check(() => deps.hasher.verify(user.password_hash, password)))) {
      throw new DomainError("INVALID_CREDENTIALS", "The current password is not correct.");
    }
    await attempt.succeeded();
    if (user.password_locked) throw passwordResetRequired();
  };
  return {
    confirmPassword,
    async confirm(user, proof, request) {
      await confirmPassword(user, proof.current_password, request);
      await deps.secondFactor.require(user, proof.totp_code);
    },
  };
}

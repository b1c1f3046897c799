import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import type { LoginAttempts } from "../login/login-attempts";
import { passwordResetRequired } from "../login/step-up";
import type { SecondFactor } from "../mfa/second-factor";
import type { UserLookup } from "../ports";
import { isHasherBusy, type PasswordHasher } from "./password-hasher";
import type { PasswordPolicy } from "./password-policy";
import { assertPasswordPolicy, type ReplacePassword } from "./replace-password";
import type { ChangePasswordInput } from "./schemas";

export type ChangePasswordDeps = {
  users: Pick<UserLookup, "findById">;
  attempts: LoginAttempts;
  hasher: PasswordHasher;
  policy: Pick<PasswordPolicy, "assert">;
  secondFactor: Pick<SecondFactor, "require">;
  replacePassword: ReplacePassword;
  events: SecurityEvents;
};

export type ChangePassword = (
  input: ChangePasswordInput,
  request: { clientIp: string },
) => Promise<{ message: string }>;

/** Changes a password given the current one (a failed try counts as a failed login). */
export function createChangePassword(deps: ChangePasswordDeps): ChangePassword {
  return async (input, request) => {
    const user = await deps.users.findById(input.id);
    if (!user) throw new DomainError("USER_NOT_FOUND", `No user matches the id ${input.id}.`);
    const attempt = await deps.attempts.start({ user, identifier: input.id, clientIp: request.clientIp });
    // After the current password checks out, the new one is judged by the policy and then
    // hashed, before anything is written (the throttle cleared, a TOTP step claimed): a
    // SERVICE_BUSY answer leaves no trace, so the same request may be sent again (the SDK
    // retries it). A refused new password (WEAK_PASSWORD, the username or email) costs no argon2
    // work and burns no TOTP code; only the throttle is cleared, as the current password was right.
    let passwordHash: string | undefined;
    let refused: unknown;
    const right = await attempt.check(async () => {
      if (!(await deps.hasher.verify(user.password_hash, input.current_password))) return false;
      try {
        assertPasswordPolicy(user, input.password);
        await deps.policy.assert(input.password, user);
      } catch (error) {
        // A busy estimator (SERVICE_BUSY) gives the throttle slots back, like a busy hasher.
        if (isHasherBusy(error)) throw error;
        refused = error;
        return true;
      }
      passwordHash = await deps.hasher.hash(input.password);
      return true;
    });
    if (!right) throw new DomainError("INVALID_CREDENTIALS", "The current password is not correct.");
    // The current password was right: its failures are forgotten even when the new one is refused.
    await attempt.succeeded();
    // Locked by an email-change revert: only a reset (through the restored address) unlocks it.
    if (user.password_locked) throw passwordResetRequired();
    if (refused !== undefined || passwordHash === undefined) throw refused;
    // A stolen password alone must not be enough to take the account over.
    await deps.secondFactor.require(user, input.totp_code);
    await deps.replacePassword(user, passwordHash, { unlock: false });
    await deps.events.record({ type: "password.changed", userId: user.id });
    return { message: "Your password has been changed." };
  };
}

import { DomainError } from "../errors";
import type { LoginAttempts } from "../login/login-attempts";
import { passwordResetRequired } from "../login/step-up";
import type { SecondFactor } from "../mfa/second-factor";
import type { UserLookup } from "../ports";
import type { PasswordHasher } from "./password-hasher";
import { assertPasswordPolicy, type ReplacePassword } from "./replace-password";
import type { ChangePasswordInput } from "./schemas";

export type ChangePasswordDeps = {
  users: Pick<UserLookup, "findById">;
  attempts: LoginAttempts;
  hasher: PasswordHasher;
  secondFactor: Pick<SecondFactor, "require">;
  replacePassword: ReplacePassword;
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
    // The new password is hashed right after the current one checks out, before anything is
    // written (the throttle cleared, a TOTP step claimed): a SERVICE_BUSY answer leaves no
    // trace, so the same request may be sent again (the SDK retries it).
    let passwordHash: string | undefined;
    const right = await attempt.check(async () => {
      if (!(await deps.hasher.verify(user.password_hash, input.current_password))) return false;
      passwordHash = await deps.hasher.hash(input.password);
      return true;
    });
    if (!right || passwordHash === undefined) {
      throw new DomainError("INVALID_CREDENTIALS", "The current password is not correct.");
    }
    await attempt.succeeded();
    // Locked by an email-change revert: only a reset (through the restored address) unlocks it.
    if (user.password_locked) throw passwordResetRequired();
    // A stolen password alone must not be enough to take the account over.
    await deps.secondFactor.require(user, input.totp_code);
    assertPasswordPolicy(user, input.password);
    await deps.replacePassword(user, passwordHash, { unlock: false });
    return { message: "Your password has been changed." };
  };
}

import { claimKeys } from "../claim-keys";
import { DomainError } from "../errors";
import { type CodeChecker, wrongCodeMessage } from "../one-time-codes";
import type { ActivationStore, UserLookup } from "../ports";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";

export type ActivateUserDeps = {
  users: Pick<UserLookup, "findByIdentifier"> & Pick<ActivationStore, "activate" | "recordFailedActivation">;
  codes: CodeChecker;
};

export type ActivateUser = (input: { identifier: string; code: string }) => Promise<User>;

const invalid = () =>
  new DomainError("INVALID_ACTIVATION_CODE", "The activation code is not valid for this account.");
const alreadyActive = () => new DomainError("USER_ALREADY_ACTIVE", "This account is already active.");

/**
 * Activates with the emailed code; each failure has its own stable code. Every try, right
 * or wrong, takes one of the code's 5 tries, and the code is used by exactly one caller:
 * both are claims, so concurrency can stretch neither.
 */
export function createActivateUser(deps: ActivateUserDeps): ActivateUser {
  return async (input) => {
    const user = await deps.users.findByIdentifier(input.identifier);
    if (!user) throw invalid();
    if (user.is_active) throw alreadyActive();
    const activation = user.activation;
    if (!activation) throw invalid();
    const checked = await deps.codes.check({
      group: claimKeys.userGroup(user.id),
      state: activation,
      code: input.code,
    });
    switch (checked.outcome) {
      case "locked":
        throw new DomainError(
          "ACTIVATION_CODE_LOCKED",
          "Too many wrong codes: this code no longer works. Request a new one (activation/resend).",
        );
      case "expired":
        throw new DomainError(
          "ACTIVATION_CODE_EXPIRED",
          "The activation code has expired. Request a new one.",
        );
      case "wrong":
        await deps.users.recordFailedActivation(user.id, activation.code_id);
        throw new DomainError(
          "INVALID_ACTIVATION_CODE",
          wrongCodeMessage("activation code", checked.triesLeft),
        );
      case "used":
        throw alreadyActive();
    }
    const activated = await deps.users
      .activate({ id: user.id, codeId: activation.code_id })
      .catch(async (error: unknown) => {
        // Not activated after all: let a retry with the same code through.
        await checked.undo().catch(() => {});
        throw error;
      });
    if (activated) return toUser(activated);
    throw invalid(); // replaced by a resend in the meantime
  };
}

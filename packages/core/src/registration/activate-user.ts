import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import { userIdOfLinkToken } from "../link-tokens";
import type { CodeCheck, CodeChecker } from "../one-time-codes";
import type { ActivationStore, UserLookup } from "../ports";
import type { ActivateUserInput, User } from "../users/schemas";
import { toUser, type UserRecord } from "../users/user";

export type ActivateUserDeps = {
  users: Pick<UserLookup, "findById" | "findByIdentifier"> &
    Pick<ActivationStore, "activate" | "recordFailedActivation">;
  codes: CodeChecker;
  events: SecurityEvents;
};

export type ActivateUser = (input: ActivateUserInput) => Promise<User>;

/** The one answer to every refused activation, whatever the account's state. */
export const invalidActivation = () =>
  new DomainError(
    "INVALID_ACTIVATION_CODE",
    "The activation code is not valid: it is wrong, expired or used up, or too many codes were tried today. Use the link in the activation email, or request a new code (activation/resend).",
  );

/**
 * Activates with the emailed code or link. Unknown, pending and active accounts get the
 * same refusal, so that nothing tells them apart; the right code or link of an account
 * (while it lives) answers 200 with the active user, again and again. A code's tries, the
 * account's daily tries and the single use are claims (see one-time-codes.ts); the link
 * takes no try, so whoever guesses codes cannot keep the owner from activating.
 */
export function createActivateUser(deps: ActivateUserDeps): ActivateUser {
  /** `byCode`: a wrong code counts against the code; a wrong link token (forgeable id part) does not. */
  const judge = async (user: UserRecord, checked: CodeCheck, byCode: boolean): Promise<User> => {
    const activation = user.activation;
    if (!activation) throw invalidActivation();
    switch (checked.outcome) {
      case "ok":
        break;
      case "used": {
        // Right, and used before: by an activation that landed (answer it again) or one in flight.
        const now = await deps.users.findById(user.id);
        if (now?.is_active && now.activation?.code_id === activation.code_id) return toUser(now);
        throw invalidActivation();
      }
      case "wrong":
        if (byCode) await deps.users.recordFailedActivation(user.id, activation.code_id).catch(() => {});
        throw invalidActivation();
      default:
        throw invalidActivation();
    }
    if (user.is_active) return toUser(user); // cannot happen: its code's use was claimed
    const activated = await deps.users
      .activate({ id: user.id, codeId: activation.code_id })
      .catch(async (error: unknown) => {
        // Landed despite the error (read back): the user is active. Otherwise not activated
        // after all: let a retry with the same code or link through.
        const stored = await deps.users.findById(user.id).catch(() => null);
        if (stored?.is_active) return stored;
        await checked.undo().catch(() => {});
        throw error;
      });
    if (activated) {
      await deps.events.record({
        type: "user.activated",
        userId: user.id,
        details: { method: byCode ? "code" : "link" },
      });
      return toUser(activated);
    }
    throw invalidActivation(); // replaced by a resend in the meantime
  };

  return async (input) => {
    if ("token" in input) {
      const id = userIdOfLinkToken(input.token);
      const user = id ? await deps.users.findById(id) : null;
      if (!user?.activation) throw invalidActivation();
      return judge(
        user,
        await deps.codes.checkToken({ userId: user.id, state: user.activation, token: input.token }),
        false,
      );
    }
    const user = await deps.users.findByIdentifier(input.identifier);
    if (!user?.activation) throw invalidActivation();
    return judge(
      user,
      await deps.codes.check({ userId: user.id, state: user.activation, code: input.code }),
      true,
    );
  };
}

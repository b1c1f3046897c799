import { mfaDisabledEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import type { StepUp } from "../login/step-up";
import type { MfaStore, UserLookup } from "../ports";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";
import type { SecondFactor } from "./second-factor";

export type DisableMfa = (
  input: { id: string; current_password: string; code: string },
  request: { clientIp: string },
) => Promise<User>;

/**
 * Turns MFA off given the current password and a valid TOTP or recovery code, wiping the
 * secret and the codes; the user gets a notice.
 */
export function createDisableMfa(deps: {
  users: Pick<UserLookup, "findById"> & Pick<MfaStore, "updateMfa">;
  secondFactor: Pick<SecondFactor, "verify">;
  stepUp: Pick<StepUp, "confirmPassword">;
  outbox: EmailOutbox;
  events: SecurityEvents;
}): DisableMfa {
  return async ({ id, current_password, code }, request) => {
    const user = await deps.users.findById(id);
    if (!user) throw new DomainError("USER_NOT_FOUND", `No user matches the id ${id}.`);
    if (!user.mfa_enabled)
      throw new DomainError("MFA_NOT_ENABLED", "Two-factor authentication is not on for this user.");
    await deps.stepUp.confirmPassword(user, current_password, request);
    await deps.secondFactor.verify(user, code);
    // The notice is queued before the write it announces (and discarded if that fails).
    const updated = await deps.outbox.queueWith(
      {
        kind: mfaDisabledEmail,
        locale: user.locale,
        userId: user.id,
        ref: "notice",
        vars: { to: user.email, firstName: user.first_name },
      },
      () =>
        deps.users.updateMfa(user.id, {
          mfa_enabled: false,
          mfa: {
            secret_enc: null,
            pending_secret_enc: null,
            pending_id: null,
            last_step: null,
            recovery_hashes: [],
            recovery_pepper_enc: null,
          },
        }),
      // Turned off despite the error: the notice goes out and the caller is told so.
      async () => {
        const stored = await deps.users.findById(user.id);
        return stored && !stored.mfa_enabled ? stored : null;
      },
    );
    await deps.events.record({ type: "mfa.disabled", userId: user.id });
    return toUser(updated ?? { ...user, mfa_enabled: false });
  };
}

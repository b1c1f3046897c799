import { DomainError } from "../errors";
import type { MfaStore, UserLookup } from "../ports";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";
import type { SecondFactor } from "./second-factor";

export type DisableMfa = (input: { id: string; code: string }) => Promise<User>;

/** Turns MFA off with a valid TOTP or recovery code, wiping the secret and the codes. */
export function createDisableMfa(deps: {
  users: Pick<UserLookup, "findById"> & Pick<MfaStore, "updateMfa">;
  secondFactor: Pick<SecondFactor, "verify">;
}): DisableMfa {
  return async ({ id, code }) => {
    const user = await deps.users.findById(id);
    if (!user) throw new DomainError("USER_NOT_FOUND", `No user matches the id ${id}.`);
    if (!user.mfa_enabled)
      throw new DomainError("MFA_NOT_ENABLED", "Two-factor authentication is not on for this user.");
    await deps.secondFactor.verify(user, code);
    const updated = await deps.users.updateMfa(user.id, {
      mfa_enabled: false,
      mfa: {
        secret_enc: null,
        pending_secret_enc: null,
        pending_id: null,
        last_step: null,
        recovery_hashes: [],
        recovery_pepper_enc: null,
      },
    });
    return toUser(updated ?? { ...user, mfa_enabled: false });
  };
}

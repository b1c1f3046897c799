import { claimKeys } from "../claim-keys";
import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import type { Keyring } from "../keyring";
import type { ClaimStore, ResetTokenStore, UserLookup } from "../ports";
import type { PasswordHasher } from "./password-hasher";
import type { PasswordPolicy } from "./password-policy";
import { assertPasswordPolicy, type ReplacePassword } from "./replace-password";
import type { ResetPasswordInput } from "./schemas";

export type ResetPasswordDeps = {
  users: Pick<UserLookup, "findById">;
  resetTokens: Pick<ResetTokenStore, "findByHash">;
  claims: ClaimStore;
  hasher: PasswordHasher;
  policy: Pick<PasswordPolicy, "assert">;
  /** A token is looked up by its hash under every configured key (links outlive a rotation). */
  keys: Pick<Keyring, "hashes">;
  replacePassword: ReplacePassword;
  events: SecurityEvents;
};

export type ResetPassword = (input: ResetPasswordInput) => Promise<{ message: string }>;

const invalidToken = () =>
  new DomainError(
    "INVALID_OR_EXPIRED_TOKEN",
    "This reset link is invalid, expired or already used. Request a new one.",
  );

/** Sets a new password with an emailed token: single use, claimed exactly once. */
export function createResetPassword(deps: ResetPasswordDeps): ResetPassword {
  return async (input) => {
    const found = await Promise.all(deps.keys.hashes(input.token).map((h) => deps.resetTokens.findByHash(h)));
    const token = found.find((record) => record !== null) ?? null;
    if (!token || token.expires_at.getTime() <= Date.now()) throw invalidToken();
    const user = await deps.users.findById(token.user_id);
    if (!user) throw invalidToken();
    // A link made before the last password change is dead, even if its deletion failed; so is
    // a link sent to an address the account no longer has.
    if (user.password_changed_at && token.created_at <= user.password_changed_at) throw invalidToken();
    if (token.email_key !== null && token.email_key !== user.email_key) throw invalidToken();
    assertPasswordPolicy(user, input.password);
    // Shed before the policy's zxcvbn check (the hash would be refused anyway).
    deps.hasher.admit();
    await deps.policy.assert(input.password, user);
    // Hashed before the link is claimed: a busy service leaves the link untouched.
    const passwordHash = await deps.hasher.hash(input.password);
    const keepUntil = new Date(token.expires_at.getTime() + 86_400_000);
    const claim = claimKeys.resetToken(token.id);
    if (!(await deps.claims.claim(claim, claimKeys.userGroup(user.id), keepUntil))) throw invalidToken();
    await deps.replacePassword(user, passwordHash, { unlock: true }).catch(async (error: unknown) => {
      // Not reset after all: the link stays usable for a retry.
      await deps.claims.release(claim).catch(() => {});
      throw error;
    });
    await deps.events.record({ type: "password.reset", userId: user.id });
    return { message: "Your password has been reset." };
  };
}

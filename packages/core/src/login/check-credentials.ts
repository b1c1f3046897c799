import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import type { SecondFactor } from "../mfa/second-factor";
import type { HashSuccession } from "../password/hash-succession";
import { isHasherBusy, type PasswordHasher } from "../password/password-hasher";
import type { PasswordStore, UserLookup } from "../ports";
import type { User } from "../users/schemas";
import { toUser } from "../users/user";
import type { LoginAttempts } from "./login-attempts";
import type { CheckCredentialsInput } from "./schemas";
import { passwordResetRequired } from "./step-up";

export type CheckCredentialsDeps = {
  users: Pick<UserLookup, "findByIdentifier"> & Pick<PasswordStore, "setPasswordHash">;
  attempts: LoginAttempts;
  hasher: PasswordHasher;
  secondFactor: Pick<SecondFactor, "require">;
  succession: Pick<HashSuccession, "claimUpgrade">;
  events: SecurityEvents;
};

export type CheckCredentials = (input: CheckCredentialsInput, request: { clientIp: string }) => Promise<User>;

export const invalidCredentials = () =>
  new DomainError("INVALID_CREDENTIALS", "The identifier or the password is not correct.");

/**
 * The login check: 200 with the user for the right password of an active account. Wrong
 * password and unknown identifier are the same 401 at the same cost; "not active", "password
 * locked" (by an email-change revert, until a reset) and "MFA required" come only after a
 * right password; while throttled, no password is checked at all.
 */
export function createCheckCredentials(deps: CheckCredentialsDeps): CheckCredentials {
  const { users, hasher } = deps;
  return async (input, request) => {
    // Shed before any database work: during a login storm most refused checks cost the
    // server and the database nothing but this (the same for every identifier).
    hasher.admit();
    const user = await users.findByIdentifier(input.identifier);
    const attempt = await deps.attempts.start({
      user,
      identifier: input.identifier,
      clientIp: request.clientIp,
    });
    const right = await attempt.check(() =>
      user ? hasher.verify(user.password_hash, input.password) : deps.attempts.verifyUnknown(input.password),
    );
    if (!user || !right) throw invalidCredentials();
    await attempt.succeeded();
    if (!user.is_active) throw new DomainError("USER_NOT_ACTIVE", "This account is not activated yet.");
    if (user.password_locked) throw passwordResetRequired();
    await deps.secondFactor.require(user, input.totp_code);
    if (hasher.needsRehash(user.password_hash)) {
      // Best effort: a busy service upgrades the hash at a later login instead.
      const upgraded = await hasher.hash(input.password).catch((error: unknown) => {
        if (isHasherBusy(error)) return null;
        throw error;
      });
      const upgrade = upgraded ? await deps.succession.claimUpgrade(user) : null;
      if (upgraded && upgrade) {
        await users
          .setPasswordHash(user.id, upgraded, { replacing: user.password_hash })
          .catch(async (error) => {
            await upgrade.release().catch(() => {});
            throw error;
          });
      }
    }
    await deps.events.record({
      type: "login.succeeded",
      userId: user.id,
      details: { method: "password", mfa: user.mfa_enabled },
    });
    return toUser(user);
  };
}

import { claimKeys } from "../claim-keys";
import { activationEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { takenError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import { linkWithToken } from "../link-tokens";
import type { CodeChecker } from "../one-time-codes";
import type { PasswordHasher } from "../password/password-hasher";
import type { PasswordPolicy } from "../password/password-policy";
import type { ClaimStore, UserLookup, UserRegistry } from "../ports";
import { type CreateUserInput, normalizeKey, type User } from "../users/schemas";
import { toUser } from "../users/user";

export type RegisterUserDeps = {
  users: UserRegistry & Pick<UserLookup, "findById">;
  /** Addresses reserved for an email change's revert are taken. */
  claims: Pick<ClaimStore, "claimedAt">;
  outbox: EmailOutbox;
  hasher: PasswordHasher;
  /** New passwords must be hard to guess (WEAK_PASSWORD). */
  policy: Pick<PasswordPolicy, "assert">;
  codes: CodeChecker;
  events: SecurityEvents;
  /** How long an activation code (and its link) works. */
  codeLifetimeMinutes: number;
  /** The email's one-click link: `<activationUrl>?token=...`. */
  activationUrl: string;
};

export type RegisterUser = (input: CreateUserInput) => Promise<User>;

/**
 * Registers an inactive user and queues the activation email. The email is queued before
 * the user is written and discarded if the write fails, so no email is ever lost for a
 * user that exists. The password is hashed before any write (a busy service writes nothing).
 */
export function createRegisterUser(deps: RegisterUserDeps): RegisterUser {
  return async (input) => {
    // Shed before the policy's zxcvbn check: a busy service spends no CPU on a registration
    // it would refuse at the hash anyway.
    deps.hasher.admit();
    await deps.policy.assert(input.password, input);
    const taken = await deps.users.findTaken(input.username, input.email);
    if (taken) throw takenError(taken);
    if (await deps.claims.claimedAt(claimKeys.emailReservation(normalizeKey(input.email))))
      throw takenError("EMAIL_TAKEN");
    const passwordHash = await deps.hasher.hash(input.password);
    const id = deps.users.newId();
    const {
      code,
      token,
      state: activation,
    } = deps.codes.newCode({
      lifetimeMinutes: deps.codeLifetimeMinutes,
      userId: id,
    });
    const created = await deps.outbox.queueWith(
      {
        kind: activationEmail,
        userId: id,
        ref: activation.code_id,
        locale: input.locale,
        vars: {
          to: input.email,
          firstName: input.first_name,
          code,
          link: linkWithToken(deps.activationUrl, token),
          expiresInMinutes: deps.codeLifetimeMinutes,
        },
      },
      () =>
        deps.users.insert({
          id,
          username: input.username,
          first_name: input.first_name,
          last_name: input.last_name,
          email: input.email,
          password_hash: passwordHash,
          gender: input.gender,
          role: input.role,
          locale: input.locale ?? null,
          is_active: false,
          mfa_enabled: false,
          activation,
          mfa: null,
          email_change: null,
        }),
      // An insert that landed despite the error: the user exists, the email goes out.
      () => deps.users.findById(id),
    );
    await deps.events.record({ type: "user.registered", userId: created.id });
    return toUser(created);
  };
}

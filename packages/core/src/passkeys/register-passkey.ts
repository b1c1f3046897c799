import { passkeyAddedEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { PasskeyRecord, PasskeyStore, UserLookup } from "../ports";
import { userNotFound } from "../profile/lookup";
import { challengeInvalid, type PasskeyChallenges } from "./challenges";
import type { RecordEvent } from "./passkey-sign-in";
import { toPasskey } from "./passkey-view";
import type { Reauthenticate } from "./reauthenticate";
import type { RelyingParty } from "./relying-party";
import type { Passkey, PasskeyReauthentication, RegistrationOptions, RegistrationResponse } from "./schemas";

export type RegisterPasskey = {
  /** Options for `navigator.credentials.create()`, after re-authentication. */
  options(
    input: { id: string } & PasskeyReauthentication,
    request: { clientIp: string },
  ): Promise<RegistrationOptions>;
  /** Verifies and stores the browser's answer; the user gets a notice. */
  verify(input: { id: string; response: RegistrationResponse; name?: string | undefined }): Promise<Passkey>;
};

/** The name of a passkey its user did not name. */
export const defaultPasskeyName = "Passkey";

/**
 * Registration of a passkey: options only for an active user who re-authenticated (their
 * challenge, bound to them, is the proof: single use, WEBAUTHN_TIMEOUT_SECONDS), excluding
 * the passkeys they have; then the verified credential is stored, once (its id is unique),
 * with a notice queued with the write.
 */
export function createRegisterPasskey(deps: {
  users: Pick<UserLookup, "findById">;
  passkeys: Pick<PasskeyStore, "insert" | "findById" | "listForUser">;
  relyingParty: RelyingParty;
  challenges: Pick<PasskeyChallenges, "release">;
  reauthenticate: Reauthenticate;
  outbox: Pick<EmailOutbox, "queueWith">;
  record?: RecordEvent | undefined;
}): RegisterPasskey {
  const findUser = async (id: string) => {
    const user = await deps.users.findById(id);
    if (!user) throw userNotFound(`the id ${id}`);
    return user;
  };
  return {
    async options(input, request) {
      const user = await findUser(input.id);
      if (!user.is_active) throw new DomainError("USER_NOT_ACTIVE", "This account is not activated yet.");
      await deps.reauthenticate(user, input, request);
      return deps.relyingParty.registrationOptions(user, await deps.passkeys.listForUser(user.id));
    },
    async verify(input) {
      const user = await findUser(input.id);
      const { grant, ...credential } = await deps.relyingParty.verifyRegistration(user.id, input.response);
      // The re-authentication the challenge proves no longer holds once the password is
      // locked (an email-change revert) or changed after it (a reset): a taker's pending
      // registration must not land after the owner took the account back.
      const passwordChangedAt = user.password_changed_at?.getTime() ?? 0;
      if (user.password_locked || grant.issuedAt < passwordChangedAt) throw challengeInvalid();
      const record: PasskeyRecord = {
        ...credential,
        user_id: user.id,
        name: input.name ?? defaultPasskeyName,
        created_at: new Date(),
        last_used_at: null,
      };
      const inserted = await deps.outbox
        .queueWith(
          {
            kind: passkeyAddedEmail,
            locale: user.locale,
            userId: user.id,
            ref: "notice",
            vars: { to: user.email, firstName: user.first_name, passkeyName: record.name },
          },
          () => deps.passkeys.insert(record),
          async () => (await deps.passkeys.findById(record.id))?.user_id === user.id || null,
        )
        .catch(async (error: unknown) => {
          await deps.challenges.release(grant).catch(() => {}); // nothing was stored: it may be retried
          throw error;
        });
      if (!inserted) {
        throw new DomainError("PASSKEY_ALREADY_REGISTERED", "This passkey is registered already.");
      }
      await deps.record?.({
        type: "passkey.registered",
        userId: user.id,
        details: { passkey_id: record.id, name: record.name },
      });
      return toPasskey(record);
    },
  };
}

import { DomainError } from "../errors";
import type { SecurityEventInput } from "../events/catalogue";
import type { LoginAttempts } from "../login/login-attempts";
import type { SecondFactor } from "../mfa/second-factor";
import type { PasskeyRecord, PasskeyStore, PublicUserLookup, UserLookup } from "../ports";
import type { User } from "../users/schemas";
import { toUser, type UserRecord } from "../users/user";
import type { PasskeyChallenges } from "./challenges";
import type { RelyingParty } from "./relying-party";
import type { AuthenticationOptions, AuthenticationResponse } from "./schemas";
import { invalidPasskey } from "./verify-assertion";

/** Where a use case reports what happened (the audit trail and webhooks, when wired). */
export type RecordEvent = (event: SecurityEventInput) => Promise<void>;

/** An assertion that verified: the user, the passkey, and whether the user was verified (UV). */
export type Assertion = { user: UserRecord; passkey: PasskeyRecord; userVerified: boolean };

export type PasskeySignIn = {
  /** Options for `navigator.credentials.get()`: for an identifier, or discoverable (none). */
  options(input: { identifier?: string | undefined }): Promise<AuthenticationOptions>;
  /** The sign-in: 200 with the user, like auth/check. */
  verify(
    input: { response: AuthenticationResponse; totp_code?: string | undefined },
    request: { clientIp: string },
  ): Promise<User>;
  /** A verified assertion, throttled like a password (sign-in and re-authentication share it). */
  assert(response: AuthenticationResponse, request: { clientIp: string }): Promise<Assertion>;
};

/** The absent user's id that unknown identifiers read passkeys of (so both cost one query). */
const nobody = "000000000000000000000000";

/**
 * Sign-in with a passkey. A verified passkey with user verification is both factors (MFA
 * users give no TOTP code); without it, it is one, and MFA users add `totp_code`. Failures
 * take slots of the passkey throttles (per account or unknown credential, per client
 * network), like passwords; USER_NOT_ACTIVE and MFA_REQUIRED come only after a verified
 * assertion. Options never tell whether an identifier has an account or passkeys.
 */
export function createPasskeySignIn(deps: {
  users: Pick<UserLookup, "findById"> & Pick<PublicUserLookup, "findPublicByIdentifier">;
  passkeys: Pick<PasskeyStore, "findById" | "listForUser">;
  relyingParty: RelyingParty;
  challenges: Pick<PasskeyChallenges, "read">;
  attempts: LoginAttempts;
  secondFactor: Pick<SecondFactor, "require">;
  record?: RecordEvent | undefined;
}): PasskeySignIn {
  const { users, passkeys, relyingParty } = deps;

  const assert: PasskeySignIn["assert"] = async (response, request) => {
    const grant = deps.challenges.read(response.response.clientDataJSON, "authentication");
    const passkey = await passkeys.findById(response.id);
    const owner = passkey ? await users.findById(passkey.user_id) : null;
    const attempt = await deps.attempts.start({
      user: owner,
      identifier: `passkey:${response.id.slice(0, 64)}`,
      clientIp: request.clientIp,
    });
    let refusal: DomainError = invalidPasskey();
    const outcome: { verified?: { passkey: PasskeyRecord; userVerified: boolean } } = {};
    const right = await attempt.check(async () => {
      try {
        outcome.verified = await relyingParty.verifyAssertion(response, grant, owner ? passkey : null);
        return true;
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        refusal = error;
        return false;
      }
    });
    const { verified } = outcome;
    // The attempt's failure is recorded (login.failed, login.locked) by the login throttle.
    if (!right || !owner || !verified) throw refusal;
    await attempt.succeeded();
    return { user: owner, passkey: verified.passkey, userVerified: verified.userVerified };
  };

  return {
    async options({ identifier }) {
      if (identifier === undefined) {
        return relyingParty.authenticationOptions({ identifier: null, user: null, passkeys: [] });
      }
      // The public view: a smaller read, so a known identifier costs about what an unknown one does.
      const user = await users.findPublicByIdentifier(identifier);
      const registered = await passkeys.listForUser(user?.id ?? nobody);
      return relyingParty.authenticationOptions({ identifier, user, passkeys: registered });
    },
    assert,
    async verify(input, request) {
      const { user, passkey, userVerified } = await assert(input.response, request);
      if (!user.is_active) throw new DomainError("USER_NOT_ACTIVE", "This account is not activated yet.");
      if (!userVerified) await deps.secondFactor.require(user, input.totp_code);
      await deps.record?.({
        type: "login.succeeded",
        userId: user.id,
        details: { method: "passkey", passkey_id: passkey.id, user_verified: userVerified },
      });
      return toUser(user);
    },
  };
}

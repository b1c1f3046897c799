import type { EmailOutbox } from "../email/outbox";
import type { Keyring } from "../keyring";
import type { LoginAttempts } from "../login/login-attempts";
import type { StepUp } from "../login/step-up";
import type { SecondFactor } from "../mfa/second-factor";
import type { ClaimStore, PasskeyStore, PublicUserLookup, UserLookup } from "../ports";
import { createPasskeyChallenges } from "./challenges";
import { createManagePasskeys, type ManagePasskeys } from "./manage-passkeys";
import { createPasskeySignIn, type PasskeySignIn, type RecordEvent } from "./passkey-sign-in";
import { createReauthenticate } from "./reauthenticate";
import { createRegisterPasskey, type RegisterPasskey } from "./register-passkey";
import { createRelyingParty, type RelyingPartyOptions } from "./relying-party";
import type { PasskeyWarning } from "./verify-assertion";

/** Every passkey use case: registration, sign-in, and the user's list. */
export type PasskeyUseCases = {
  registration: RegisterPasskey;
  signIn: PasskeySignIn;
  manage: ManagePasskeys;
};

/**
 * Builds the passkey use cases over one relying party and one challenge scheme.
 * `attempts` is the passkey throttle policy (its own slots, like the password's);
 * `record`, when given, hears every security event (passkey.registered, passkey.deleted,
 * login.succeeded / login.failed with method "passkey"); `warn` hears refusals an operator
 * should see (a counter that went backwards).
 */
export function createPasskeyUseCases(deps: {
  rp: RelyingPartyOptions;
  users: Pick<UserLookup, "findById"> & Pick<PublicUserLookup, "findPublicByIdentifier">;
  passkeys: PasskeyStore;
  claims: ClaimStore;
  keys: Keyring;
  attempts: LoginAttempts;
  stepUp: Pick<StepUp, "confirm">;
  secondFactor: Pick<SecondFactor, "require">;
  outbox: Pick<EmailOutbox, "queueWith">;
  warn: (warning: PasskeyWarning) => void;
  record?: RecordEvent | undefined;
}): PasskeyUseCases {
  const { users, passkeys, claims, keys, outbox, record } = deps;
  const challenges = createPasskeyChallenges({ keys, claims, lifetimeSeconds: deps.rp.timeoutSeconds });
  const relyingParty = createRelyingParty({
    rp: deps.rp,
    challenges,
    passkeys,
    claims,
    keys,
    warn: deps.warn,
  });
  const signIn = createPasskeySignIn({
    users,
    passkeys,
    relyingParty,
    challenges,
    attempts: deps.attempts,
    secondFactor: deps.secondFactor,
    record,
  });
  const reauthenticate = createReauthenticate({ stepUp: deps.stepUp, signIn });
  return {
    registration: createRegisterPasskey({
      users,
      passkeys,
      relyingParty,
      challenges,
      reauthenticate,
      outbox,
      record,
    }),
    signIn,
    manage: createManagePasskeys({ users, passkeys, reauthenticate, outbox, record }),
  };
}

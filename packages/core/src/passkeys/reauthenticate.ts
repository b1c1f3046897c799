import type { StepUp } from "../login/step-up";
import type { UserRecord } from "../users/user";
import type { PasskeySignIn } from "./passkey-sign-in";
import type { PasskeyReauthentication } from "./schemas";
import { invalidPasskey } from "./verify-assertion";

/** Proves, before a passkey is added or removed, that the user is at the keyboard. */
export type Reauthenticate = (
  user: UserRecord,
  proof: PasskeyReauthentication,
  request: { clientIp: string },
) => Promise<void>;

/**
 * The re-authentication of passkey changes: the current password (and, with MFA on, the
 * second factor), exactly as for other sensitive changes (login/step-up.ts); or a passkey
 * assertion of this user made with user verification (a passkey with UV is both factors).
 * Either way under the throttles of its kind.
 */
export function createReauthenticate(deps: {
  stepUp: Pick<StepUp, "confirm">;
  signIn: Pick<PasskeySignIn, "assert">;
}): Reauthenticate {
  return async (user, proof, request) => {
    if (proof.passkey_assertion) {
      const asserted = await deps.signIn.assert(proof.passkey_assertion, request);
      if (asserted.user.id !== user.id || !asserted.userVerified) throw invalidPasskey();
      return;
    }
    await deps.stepUp.confirm(
      user,
      { current_password: proof.current_password ?? "", totp_code: proof.totp_code },
      request,
    );
  };
}

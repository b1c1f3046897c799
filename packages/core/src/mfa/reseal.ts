import type { Keyring } from "../keyring";
import type { MfaState } from "../users/user";

/** The sealed fields of a user's MFA state. */
export type SealedMfaFields = Partial<
  Pick<MfaState, "secret_enc" | "pending_secret_enc" | "recovery_pepper_enc">
>;

/** A re-seal: the values read (`from`) and the same values sealed with the current key (`to`). */
export type MfaReseal = { from: SealedMfaFields; to: SealedMfaFields };

/**
 * What to write so that every sealed MFA value of a user is sealed with the current key:
 * the TOTP secret, the pending enrolment's secret and the recovery pepper. A user enrolled
 * before peppers gets one: the code-hashing key of the secret key that opens their TOTP
 * secret (both were written at one enrolment, when only one key existed), which is what
 * their recovery-code hashes were made with. `reseal` is null when nothing needs it;
 * `unreadable` counts values no configured key opens (left as they are).
 */
export function planMfaReseal(
  keys: Keyring,
  mfa: MfaState,
): { reseal: MfaReseal | null; unreadable: number } {
  const from: SealedMfaFields = {};
  const to: SealedMfaFields = {};
  let unreadable = 0;
  const reseal = (field: keyof SealedMfaFields) => {
    const sealed = mfa[field];
    if (!sealed || keys.isCurrent(sealed)) return null;
    try {
      const opened = keys.open(sealed);
      from[field] = sealed;
      to[field] = keys.seal(opened.plaintext);
      return opened;
    } catch {
      unreadable++;
      return null;
    }
  };
  const secret = reseal("secret_enc");
  reseal("pending_secret_enc");
  if (mfa.recovery_pepper_enc) reseal("recovery_pepper_enc");
  else if (mfa.recovery_hashes.length > 0 && secret) {
    from.recovery_pepper_enc = null;
    to.recovery_pepper_enc = keys.seal(secret.key.codeHashing.toString("base64url"));
  }
  return { reseal: Object.keys(to).length > 0 ? { from, to } : null, unreadable };
}

/** Whether any sealed MFA value of a user still needs a key other than the current one. */
export function needsReseal(keys: Pick<Keyring, "isCurrent">, mfa: MfaState): boolean {
  const sealed = [mfa.secret_enc, mfa.pending_secret_enc, mfa.recovery_pepper_enc];
  const legacyHashes = mfa.recovery_hashes.length > 0 && !mfa.recovery_pepper_enc;
  return legacyHashes || sealed.some((value) => value !== null && !keys.isCurrent(value));
}

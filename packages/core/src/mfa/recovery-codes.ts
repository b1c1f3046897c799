import { randomBytes } from "node:crypto";
import { hashCode, hashesEqual } from "../crypto";
import type { Keyring } from "../keyring";
import type { MfaState } from "../users/user";
import { newRecoveryCodes, normalizeRecoveryCode } from "./totp";

/**
 * Recovery codes live as long as MFA is on, and cannot be re-hashed without the codes, so
 * their hashes do not depend on SECRET_KEY: each user's codes are hashed with a random
 * per-user pepper, and only the pepper is sealed with the keyring (a rotation re-seals it).
 *
 * Users enrolled before peppers have hashes made with the code-hashing key of the secret key
 * then current (the same HMAC with that key as pepper): they are checked under every
 * configured key, and get that key, sealed, as their pepper when their secrets are re-sealed
 * (see reseal.ts), after which the old secret key is no longer needed for them.
 */

/** The keyed hash a recovery code is stored as, under its user's pepper. */
export const recoveryCodeHash = (pepper: Buffer, code: string) =>
  hashCode(pepper, `recovery:${normalizeRecoveryCode(code)}`);

/** A new set: the codes (shown once), their hashes under a fresh pepper, and that pepper sealed. */
export function newRecoverySet(keys: Pick<Keyring, "seal">): {
  codes: string[];
  hashes: string[];
  pepperSealed: string;
} {
  const pepper = randomBytes(32);
  const codes = newRecoveryCodes();
  return {
    codes,
    hashes: codes.map((code) => recoveryCodeHash(pepper, code)),
    pepperSealed: keys.seal(pepper.toString("base64url")),
  };
}

/** The peppers a user's stored hashes may have been made with (none when the pepper is unreadable). */
function peppersOf(keys: Keyring, mfa: MfaState): Buffer[] {
  if (!mfa.recovery_pepper_enc) return keys.keys.map((key) => key.codeHashing);
  try {
    return [Buffer.from(keys.open(mfa.recovery_pepper_enc).plaintext, "base64url")];
  } catch {
    return [];
  }
}

/** The stored hash that `code` matches, if any: every stored hash is compared, in constant time. */
export function findRecoveryHash(keys: Keyring, mfa: MfaState, code: string): string | undefined {
  let match: string | undefined;
  for (const pepper of peppersOf(keys, mfa)) {
    const hash = recoveryCodeHash(pepper, code);
    for (const stored of mfa.recovery_hashes) if (hashesEqual(stored, hash)) match = stored;
  }
  return match;
}

import type { Types } from "mongoose";
import type { ClaimStore } from "../claims";
import { decrypt, encrypt, hashCode, hashesEqual, randomId } from "../crypto";
import { DomainError } from "../errors";
import type { Throttle } from "../throttle";
import type { UserDocument } from "../users/model";
import { toUser, type UserRepository } from "../users/repository";
import type { User } from "../users/schemas";
import {
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  qrDataUrl,
  totpUri,
  verifyTotp,
} from "./totp";

export type MfaServiceDeps = {
  users: UserRepository;
  claims: ClaimStore;
  /** Second-factor failures per account (separate from password failures). */
  throttle: Throttle;
  encryptionKey: Buffer;
  codeKey: Buffer;
  issuer: string;
};

export type MfaService = ReturnType<typeof createMfaService>;

const invalidCode = () => new DomainError("INVALID_MFA_CODE", "The two-factor code is not valid.");

/** TOTP enrolment (enable -> confirm), second-factor checks, recovery codes and disable. */
export function createMfaService(deps: MfaServiceDeps) {
  const { users, claims } = deps;
  const group = (id: Types.ObjectId) => `user:${id.toHexString()}`;
  const find = async (id: string) => {
    const user = await users.findById(id);
    if (!user) throw new DomainError("USER_NOT_FOUND", `No user matches the id ${id}.`);
    return user;
  };
  const alreadyEnabled = () =>
    new DomainError(
      "MFA_ALREADY_ENABLED",
      "Two-factor authentication is already on; disable it first to re-enrol.",
    );
  const notPending = () =>
    new DomainError("MFA_NOT_PENDING", "No enrolment is pending: call mfa/enable first.");
  const enrolment = async (user: UserDocument, secret: string) => {
    const otpauth_url = totpUri({ issuer: deps.issuer, label: user.email, secret });
    return { otpauth_url, qr_code: await qrDataUrl(otpauth_url) };
  };

  /** Runs a second-factor check under the account's MFA throttle: 429 when locked. */
  const throttled = async (user: UserDocument, check: () => Promise<boolean>) => {
    const key = `user:${user._id.toHexString()}`;
    const ticket = await deps.throttle.acquire(key);
    if (ticket.retryAfter > 0) {
      throw new DomainError(
        "TOO_MANY_ATTEMPTS",
        `Too many wrong codes; try again in ${ticket.retryAfter} seconds.`,
        {
          retryAfterSeconds: ticket.retryAfter,
        },
      );
    }
    if (!(await check())) throw invalidCode();
    await deps.throttle.clear(key);
  };

  /**
   * A TOTP code of a step not used before (each step is claimed once, so two concurrent
   * logins with one code cannot both pass), or an unused recovery code (claimed once).
   */
  const acceptCode = async (user: UserDocument, code: string): Promise<boolean> => {
    const mfa = user.mfa;
    if (!mfa?.secret_enc) return false;
    if (/^\d{6}$/.test(code)) {
      let secret: string;
      try {
        secret = decrypt(deps.encryptionKey, mfa.secret_enc);
      } catch {
        return false; // sealed with another SECRET_KEY: no code can match
      }
      const step = await verifyTotp({ secret, code, afterStep: mfa.last_step });
      if (step === null) return false;
      const keep = new Date(Date.now() + 10 * 60_000);
      if (!(await claims.claim(`totp:${user._id.toHexString()}:${step}`, group(user._id), keep)))
        return false;
      await users.updateMfa(user._id, { mfa: { last_step: Math.max(step, mfa.last_step ?? 0) } });
      return true;
    }
    const hash = hashCode(deps.codeKey, `recovery:${normalizeRecoveryCode(code)}`);
    let match: string | undefined;
    for (const stored of mfa.recovery_hashes) if (hashesEqual(stored, hash)) match = stored;
    if (!match || !(await claims.claim(`recovery:${user._id.toHexString()}:${match}`, group(user._id))))
      return false;
    await users.removeRecoveryHash(user._id, match);
    return true;
  };

  return {
    /** Starts (or restarts) enrolment: a fresh secret, pending until confirmed. */
    async enable(id: string) {
      const user = await find(id);
      if (user.mfa_enabled) throw alreadyEnabled();
      // Retire the pending enrolment first, so that a confirm racing this call cannot
      // switch MFA on with the secret being replaced.
      const previous = user.mfa?.pending_id;
      if (previous && !(await claims.claim(`mfa-confirm:${previous}`, group(user._id))))
        throw alreadyEnabled();
      const secret = newTotpSecret();
      await users.updateMfa(user._id, {
        mfa: { pending_secret_enc: encrypt(deps.encryptionKey, secret), pending_id: randomId() },
      });
      return { ...(await enrolment(user, secret)), secret };
    },

    /** The QR code of the pending enrolment; never once MFA is on. */
    async qr(id: string) {
      const user = await find(id);
      if (user.mfa_enabled) throw alreadyEnabled();
      if (!user.mfa?.pending_secret_enc) throw notPending();
      return enrolment(user, decrypt(deps.encryptionKey, user.mfa.pending_secret_enc));
    },

    /** Turns MFA on with a first valid code; returns the 10 recovery codes, once. */
    async confirm(id: string, code: string): Promise<{ recovery_codes: string[] }> {
      const user = await find(id);
      if (user.mfa_enabled) throw alreadyEnabled();
      const pending = user.mfa?.pending_secret_enc;
      const pendingId = user.mfa?.pending_id;
      if (!pending || !pendingId) throw notPending();
      let step: number | null = null;
      await throttled(user, async () => {
        step = /^\d{6}$/.test(code)
          ? await verifyTotp({ secret: decrypt(deps.encryptionKey, pending), code })
          : null;
        return step !== null;
      });
      const claim = `mfa-confirm:${pendingId}`;
      if (!(await claims.claim(claim, group(user._id)))) throw alreadyEnabled();
      const recoveryCodes = newRecoveryCodes();
      const release = async (error: unknown) => {
        await claims.release(claim).catch(() => {});
        throw error;
      };
      await users
        .updateMfa(user._id, {
          mfa_enabled: true,
          mfa: {
            secret_enc: pending,
            pending_secret_enc: null,
            pending_id: null,
            last_step: step,
            recovery_hashes: recoveryCodes.map((c) =>
              hashCode(deps.codeKey, `recovery:${normalizeRecoveryCode(c)}`),
            ),
          },
        })
        .catch(release);
      return { recovery_codes: recoveryCodes };
    },

    /** For auth/check: the second factor of a user with MFA on (throttled). */
    async verifySecondFactor(user: UserDocument, code: string): Promise<void> {
      await throttled(user, () => acceptCode(user, code));
    },

    /** Turns MFA off with a valid TOTP or recovery code, wiping the secret and the codes. */
    async disable(id: string, code: string): Promise<User> {
      const user = await find(id);
      if (!user.mfa_enabled) {
        throw new DomainError("MFA_NOT_ENABLED", "Two-factor authentication is not on for this user.");
      }
      await throttled(user, () => acceptCode(user, code));
      const updated = await users.updateMfa(user._id, {
        mfa_enabled: false,
        mfa: {
          secret_enc: null,
          pending_secret_enc: null,
          pending_id: null,
          last_step: null,
          recovery_hashes: [],
        },
      });
      return toUser(updated ?? { ...user, mfa_enabled: false });
    },
  };
}

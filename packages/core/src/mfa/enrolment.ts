import { claimKeys } from "../claim-keys";
import { randomId } from "../crypto";
import { mfaEnabledEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import type { Keyring } from "../keyring";
import { passwordResetRequired, type StepUp } from "../login/step-up";
import type { ClaimStore, MfaStore, UserLookup } from "../ports";
import type { UserRecord } from "../users/user";
import { newRecoverySet } from "./recovery-codes";
import type { SecondFactor } from "./second-factor";
import { newTotpSecret, qrDataUrl, totpUri, verifyTotp } from "./totp";

export type MfaEnrolmentDeps = {
  users: Pick<UserLookup, "findById"> & Pick<MfaStore, "updateMfa">;
  claims: ClaimStore;
  secondFactor: Pick<SecondFactor, "throttled">;
  /** Seals secrets with the current key; opens pending ones sealed under any configured key. */
  keys: Pick<Keyring, "seal" | "open">;
  /** Enabling needs the current password. */
  stepUp: Pick<StepUp, "confirmPassword">;
  /** The "MFA turned on" notice. */
  outbox: EmailOutbox;
  /** Issuer shown by authenticator apps. */
  issuer: string;
  events: SecurityEvents;
};

type Qr = { qr_code: string; otpauth_url: string };

export type MfaEnrolment = {
  /** Starts (or restarts) enrolment given the current password: a fresh secret, pending until confirmed. */
  enable(
    input: { id: string; current_password: string },
    request: { clientIp: string },
  ): Promise<Qr & { secret: string }>;
  /** The QR code of the pending enrolment; never once MFA is on. */
  qr(id: string): Promise<Qr>;
  /** Turns MFA on with a first valid code; returns the 10 recovery codes, once; emails a notice. */
  confirm(input: { id: string; code: string }): Promise<{ recovery_codes: string[] }>;
};

const alreadyEnabled = () =>
  new DomainError(
    "MFA_ALREADY_ENABLED",
    "Two-factor authentication is already on; disable it first to re-enrol.",
  );
const notPending = () =>
  new DomainError("MFA_NOT_PENDING", "No enrolment is pending: call mfa/enable first.");

/**
 * An enrolment's end (confirmed, or replaced) matters only until the write that clears or
 * replaces its pending id lands, which is at once or never (a failed write gives it back).
 */
const aDayFromNow = () => new Date(Date.now() + 86_400_000);

/** TOTP enrolment: enable -> (qr) -> confirm. */
export function createMfaEnrolment(deps: MfaEnrolmentDeps): MfaEnrolment {
  const { users, claims } = deps;
  const find = async (id: string) => {
    const user = await users.findById(id);
    if (!user) throw new DomainError("USER_NOT_FOUND", `No user matches the id ${id}.`);
    if (user.mfa_enabled) throw alreadyEnabled();
    return user;
  };
  /** A pending secret sealed with a key since removed cannot be used: enrolment starts again. */
  const openPending = (sealed: string) => {
    try {
      return deps.keys.open(sealed).plaintext;
    } catch {
      throw notPending();
    }
  };
  const qrOf = async (user: UserRecord, secret: string): Promise<Qr> => {
    const otpauth_url = totpUri({ issuer: deps.issuer, label: user.email, secret });
    return { otpauth_url, qr_code: await qrDataUrl(otpauth_url) };
  };

  return {
    async enable({ id, current_password }, request) {
      const user = await find(id);
      await deps.stepUp.confirmPassword(user, current_password, request);
      // Retire the pending enrolment first, so that a confirm racing this call cannot
      // switch MFA on with the secret being replaced.
      const retired = user.mfa?.pending_id ? claimKeys.mfaEnrolment(user.mfa.pending_id) : null;
      if (retired && !(await claims.claim(retired, claimKeys.userGroup(user.id), aDayFromNow())))
        throw alreadyEnabled();
      const secret = newTotpSecret();
      await users
        .updateMfa(user.id, {
          mfa: { pending_secret_enc: deps.keys.seal(secret), pending_id: randomId() },
        })
        .catch(async (error: unknown) => {
          // The old enrolment stays pending: give it back, or enable and confirm would refuse forever.
          if (retired) await claims.release(retired).catch(() => {});
          throw error;
        });
      return { ...(await qrOf(user, secret)), secret };
    },

    async qr(id) {
      const user = await find(id);
      if (!user.mfa?.pending_secret_enc) throw notPending();
      return qrOf(user, openPending(user.mfa.pending_secret_enc));
    },

    async confirm({ id, code }) {
      const user = await find(id);
      // Locked by an email-change revert: no enrolment finishes until the owner resets.
      if (user.password_locked) throw passwordResetRequired();
      const pending = user.mfa?.pending_secret_enc;
      const pendingId = user.mfa?.pending_id;
      if (!pending || !pendingId) throw notPending();
      const secret = openPending(pending);
      let step: number | null = null;
      await deps.secondFactor.throttled(user, async () => {
        step = /^\d{6}$/.test(code) ? await verifyTotp({ secret, code }) : null;
        return step !== null;
      });
      const claim = claimKeys.mfaEnrolment(pendingId);
      if (!(await claims.claim(claim, claimKeys.userGroup(user.id), aDayFromNow()))) throw alreadyEnabled();
      const recovery = newRecoverySet(deps.keys);
      // The notice is queued before the write it announces (and discarded if that fails).
      await deps.outbox
        .queueWith(
          {
            kind: mfaEnabledEmail,
            locale: user.locale,
            userId: user.id,
            ref: "notice",
            vars: { to: user.email, firstName: user.first_name },
          },
          () =>
            users.updateMfa(user.id, {
              mfa_enabled: true,
              mfa: {
                // Sealed afresh: a pending secret sealed before a key rotation leaves it current.
                secret_enc: deps.keys.seal(secret),
                pending_secret_enc: null,
                pending_id: null,
                last_step: step,
                recovery_hashes: recovery.hashes,
                recovery_pepper_enc: recovery.pepperSealed,
              },
            }),
          // Turned on despite the error (these very recovery codes are stored): answer them.
          async () => {
            const stored = await users.findById(user.id);
            const landed = stored?.mfa_enabled && stored.mfa?.recovery_hashes[0] === recovery.hashes[0];
            return landed ? stored : null;
          },
        )
        .catch(async (error: unknown) => {
          await claims.release(claim).catch(() => {});
          throw error;
        });
      await deps.events.record({ type: "mfa.enabled", userId: user.id });
      return { recovery_codes: recovery.codes };
    },
  };
}

import { claimKeys } from "../claim-keys";
import { mfaLockedEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import type { Keyring } from "../keyring";
import type { ClaimStore, MfaStore } from "../ports";
import { countFailurePerDay, type Throttle } from "../throttle";
import type { UserRecord } from "../users/user";
import { findRecoveryHash } from "./recovery-codes";
import { planMfaReseal } from "./reseal";
import { verifyTotp } from "./totp";

export type SecondFactorDeps = {
  /** The notice of a first lock of the second factor. */
  outbox: Pick<EmailOutbox, "queue">;
  users: MfaStore;
  claims: ClaimStore;
  /** Second-factor failures per account (separate from password failures). */
  throttle: Throttle;
  /** Second-factor failures per account per UTC day (taken on failures only); reaching it locks `throttle` to the day's end. */
  day?: Throttle | undefined;
  /** Opens TOTP secrets and recovery peppers sealed under any configured key. */
  keys: Keyring;
  events: SecurityEvents;
};

export type SecondFactor = {
  /**
   * Accepts a TOTP code of a step not used before (each step is claimed once, so two
   * concurrent logins with one code cannot both pass) or an unused recovery code (claimed
   * once, then removed), under the account's MFA throttle: INVALID_MFA_CODE, then 429.
   */
  verify(user: UserRecord, code: string): Promise<void>;
  /** With MFA on, the code must come too (MFA_REQUIRED) and be right. */
  require(user: UserRecord, code: string | undefined): Promise<void>;
  /** Runs any code check under the account's MFA throttle (enrolment uses it too). */
  throttled(user: UserRecord, check: () => Promise<boolean>): Promise<void>;
};

export const invalidMfaCode = () => new DomainError("INVALID_MFA_CODE", "The two-factor code is not valid.");

/** TOTP and recovery-code checks of users with MFA on. */
export function createSecondFactor(deps: SecondFactorDeps): SecondFactor {
  const { users, claims } = deps;

  /** The owner's notice that someone with their password keeps failing the second factor. */
  const tellOwner = (user: UserRecord, failures: number) =>
    deps.outbox.queue({
      kind: mfaLockedEmail,
      locale: user.locale,
      vars: { to: user.email, firstName: user.first_name, failures },
      userId: user.id,
      ref: "mfa-locked",
    });

  const throttled: SecondFactor["throttled"] = async (user, check) => {
    const key = claimKeys.account(user.id);
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
    if (!(await check())) {
      // The day's bound first (a failed write below must not leave the failure uncounted): it
      // stops a guesser who paces below the window's limit, and tells the owner.
      const day = deps.day ? await countFailurePerDay(deps.day, deps.throttle, key) : null;
      // The first lock of a series: the password was right and the codes were not. Tell the owner.
      if (ticket.locked?.level === 1) await tellOwner(user, ticket.locked.attempts);
      await deps.events.record({
        type: "login.failed",
        userId: user.id,
        details: { reason: "second_factor" },
      });
      if (ticket.locked) {
        await deps.events.record({
          type: "login.locked",
          userId: user.id,
          details: {
            factor: "second_factor",
            failures: ticket.locked.attempts,
            locked_seconds: ticket.locked.seconds,
          },
        });
      }
      if (day) {
        await tellOwner(user, day.failures);
        await deps.events.record({
          type: "login.locked",
          userId: user.id,
          details: {
            factor: "second_factor",
            failures: day.failures,
            locked_seconds: day.seconds,
            per: "day",
          },
        });
      }
      throw invalidMfaCode();
    }
    await deps.throttle.clear(key);
  };

  const acceptTotp = async (user: UserRecord, sealedSecret: string, code: string) => {
    let secret: string;
    try {
      secret = deps.keys.open(sealedSecret).plaintext;
    } catch {
      return false; // sealed with a key that is not configured: no code can match
    }
    const lastStep = user.mfa?.last_step ?? null;
    const step = await verifyTotp({ secret, code, afterStep: lastStep });
    if (step === null) return false;
    const keep = new Date(Date.now() + 10 * 60_000);
    if (!(await claims.claim(claimKeys.totpStep(user.id, step), claimKeys.userGroup(user.id), keep)))
      return false;
    await users.updateMfa(user.id, { mfa: { last_step: Math.max(step, lastStep ?? 0) } });
    return true;
  };

  const acceptRecoveryCode = async (user: UserRecord, code: string) => {
    const match = user.mfa ? findRecoveryHash(deps.keys, user.mfa, code) : undefined;
    if (!match) return false;
    // Kept long after the code's hash is removed, in case that removal failed.
    const keep = new Date(Date.now() + 400 * 86_400_000);
    if (!(await claims.claim(claimKeys.recoveryCode(user.id, match), claimKeys.userGroup(user.id), keep)))
      return false;
    await users.removeRecoveryHash(user.id, match);
    const left = (user.mfa?.recovery_hashes.length ?? 1) - 1;
    await deps.events.record({
      type: "mfa.recovery_code_used",
      userId: user.id,
      details: { codes_left: left },
    });
    return true;
  };

  /**
   * Secrets sealed with a previous key (or the old format) are sealed again with the current
   * one once the user has proved the second factor. Best effort: a failed write changes
   * nothing for the user (the values still open) and `rotate-keys` finishes the job.
   */
  const resealOnUse = async (user: UserRecord) => {
    const plan = user.mfa ? planMfaReseal(deps.keys, user.mfa).reseal : null;
    if (plan) await users.resealMfa(user.id, plan).catch(() => false);
  };

  const verify: SecondFactor["verify"] = async (user, code) => {
    await throttled(user, async () => {
      const secret = user.mfa?.secret_enc;
      if (!secret) return false;
      return /^\d{6}$/.test(code) ? acceptTotp(user, secret, code) : acceptRecoveryCode(user, code);
    });
    await resealOnUse(user);
  };

  return {
    verify,
    async require(user, code) {
      if (!user.mfa_enabled) return;
      if (!code)
        throw new DomainError("MFA_REQUIRED", "This account uses two-factor authentication: send totp_code.");
      await verify(user, code);
    },
    throttled,
  };
}

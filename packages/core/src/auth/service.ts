import { randomBytes } from "node:crypto";
import type { ClaimStore } from "../claims";
import { hashCode } from "../crypto";
import { DomainError } from "../errors";
import { passwordChangedEmail, passwordResetEmail } from "../mail/templates";
import type { OutboxRepository } from "../outbox/repository";
import { hasherBusyError, isHasherBusy, type PasswordHasher } from "../passwords";
import type { Throttle } from "../throttle";
import type { UserDocument } from "../users/model";
import { toUser, type UserRepository } from "../users/repository";
import { normalizeKey, type User } from "../users/schemas";
import type { ResetTokenRepository } from "./reset-tokens";
import {
  type ChangePasswordInput,
  type CheckCredentialsInput,
  forgotPasswordMessage,
  type ResetPasswordInput,
} from "./schemas";

export type AuthServiceDeps = {
  users: UserRepository;
  resetTokens: ResetTokenRepository;
  outbox: OutboxRepository;
  claims: ClaimStore;
  hasher: PasswordHasher;
  codeKey: Buffer;
  /**
   * Password attempts per account (or unknown identifier) and per client IP; `ip` is null
   * when the client IP is not the end user's (no trusted proxy in front).
   */
  throttles: { account: Throttle; ip: Throttle | null };
  reset: { url: string; expirationMinutes: number; cooldownSeconds: number };
  onEmailQueued: () => void;
  /** Checks the second factor of a user with MFA on; throws INVALID_MFA_CODE or 429. */
  verifySecondFactor: (user: UserDocument, code: string) => Promise<void>;
  /** Runs work the caller must not wait for (and whose timing must not show). */
  runInBackground: (task: () => Promise<void>) => void;
};

export type RequestInfo = { clientIp: string };

export type AuthService = ReturnType<typeof createAuthService>;

const invalidCredentials = () =>
  new DomainError("INVALID_CREDENTIALS", "The identifier or the password is not correct.");
const invalidToken = () =>
  new DomainError(
    "INVALID_OR_EXPIRED_TOKEN",
    "This reset link is invalid, expired or already used. Request a new one.",
  );

/** Login checks, password change and recovery, throttled against guessing. */
export function createAuthService(deps: AuthServiceDeps) {
  const { users, throttles } = deps;
  // Unknown identifiers are checked against this, so they cost the same argon2 work. Made
  // at once (the queue is empty at startup); made again on a later call if that failed.
  let dummyHash: Promise<string> | undefined;
  const makeDummyHash = () => {
    const made = deps.hasher.hash(randomBytes(16).toString("hex"));
    dummyHash = made;
    made.catch(() => {
      if (dummyHash === made) dummyHash = undefined;
    });
    return made;
  };
  makeDummyHash();
  const verifyDummy = async (password: string) => {
    await deps.hasher.verify(await (dummyHash ?? makeDummyHash()), password);
  };
  const accountKey = (user: UserDocument | null, identifier: string) =>
    user ? `user:${user._id.toHexString()}` : `unknown:${normalizeKey(identifier)}`;

  /**
   * Takes an attempt slot for the account and the IP before any password is checked, so
   * that neither locked accounts nor concurrent guesses get an argon2 comparison.
   */
  const startAttempt = async (key: string, clientIp: string) => {
    // Overloaded: refuse before writing anything (the check below covers a late race).
    if (deps.hasher.full()) throw hasherBusyError();
    const account = await throttles.account.acquire(key);
    const ip = throttles.ip ? await throttles.ip.acquire(clientIp) : null;
    const wait = Math.max(account.retryAfter, ip?.retryAfter ?? 0);
    /** Gives both slots back (an attempt that never reached a password check). */
    const giveBack = async () => {
      await Promise.all([account.release(), ip?.release()]);
    };
    if (wait > 0) {
      await giveBack();
      throw new DomainError("TOO_MANY_ATTEMPTS", `Too many failed attempts; try again in ${wait} seconds.`, {
        retryAfterSeconds: wait,
      });
    }
    return {
      /**
       * Checks the password; a check refused because the service is busy gives its slots
       * back, so that an overloaded service never counts against the caller.
       */
      check: async (run: () => Promise<boolean>) => {
        try {
          return await run();
        } catch (error) {
          if (isHasherBusy(error)) await giveBack().catch(() => {});
          throw error;
        }
      },
      /** The attempt failed: its slots stay taken until the window ends. */
      failed: async () => {},
      /** The password was right: the account starts afresh, the IP slot is given back. */
      succeeded: async () => {
        await Promise.all([throttles.account.clear(key), ip?.release()]);
      },
    };
  };

  /** With MFA on, the code must come too (MFA_REQUIRED) and be right (throttled). */
  const requireSecondFactor = async (user: UserDocument, code: string | undefined) => {
    if (!user.mfa_enabled) return;
    if (!code)
      throw new DomainError("MFA_REQUIRED", "This account uses two-factor authentication: send totp_code.");
    await deps.verifySecondFactor(user, code);
  };

  const assertPasswordPolicy = (user: UserDocument, password: string) => {
    const lowered = password.toLowerCase();
    if (lowered === user.username.toLowerCase() || lowered === user.email.toLowerCase()) {
      throw new DomainError(
        "VALIDATION_ERROR",
        "Invalid input: password: must not be the username or the email",
        {
          issues: [{ path: "password", message: "must not be the username or the email" }],
        },
      );
    }
  };

  /** Stores a new password hash, ends outstanding resets and lockouts, and notifies the user. */
  const replacePassword = async (user: UserDocument, passwordHash: string) => {
    await users.setPasswordHash(user._id, passwordHash, { changedAt: new Date() });
    // Tokens made before this instant are refused by resetPassword even if this fails.
    await deps.resetTokens.deleteForUser(user._id);
    await throttles.account.clear(`user:${user._id.toHexString()}`);
    await deps.outbox.enqueue({
      userId: user._id,
      kind: "password-changed",
      ref: "notice",
      email: passwordChangedEmail({ to: user.email, firstName: user.first_name }),
    });
    deps.onEmailQueued();
  };

  const sendResetLink = async (user: UserDocument) => {
    const last = user.reset_requested_at?.getTime() ?? 0;
    if (last > Date.now() - deps.reset.cooldownSeconds * 1_000) return;
    const cooldownEnds = new Date(Date.now() + 2 * deps.reset.cooldownSeconds * 1_000 + 60_000);
    const group = `user:${user._id.toHexString()}`;
    const claim = `reset-request:${user._id.toHexString()}:${last}`;
    if (!(await deps.claims.claim(claim, group, cooldownEnds))) return;
    try {
      const token = randomBytes(32).toString("base64url");
      const expiresAt = new Date(Date.now() + deps.reset.expirationMinutes * 60_000);
      await deps.resetTokens.create({
        userId: user._id,
        tokenHash: hashCode(deps.codeKey, token),
        expiresAt,
      });
      const link = new URL(deps.reset.url);
      link.searchParams.set("token", token);
      await deps.outbox.enqueue({
        userId: user._id,
        kind: "password-reset",
        ref: "link",
        email: passwordResetEmail({
          to: user.email,
          firstName: user.first_name,
          link: link.toString(),
          expiresInMinutes: deps.reset.expirationMinutes,
        }),
      });
      await users.setResetRequestedAt(user._id, new Date());
      deps.onEmailQueued();
    } catch (error) {
      // Nothing was sent: the next request may try again at once.
      await deps.claims.release(claim).catch(() => {});
      throw error;
    }
  };

  return {
    /**
     * 200 with the user for the right password of an active account. Wrong password and
     * unknown identifier are the same 401 at the same cost; "not active" and "MFA required"
     * come only after a right password; while locked, no password is checked at all.
     */
    async checkCredentials(input: CheckCredentialsInput, request: RequestInfo): Promise<User> {
      const user = await users.findByIdentifier(input.identifier);
      const attempt = await startAttempt(accountKey(user, input.identifier), request.clientIp);
      if (!user) {
        await attempt.check(() => verifyDummy(input.password).then(() => false));
        await attempt.failed();
        throw invalidCredentials();
      }
      if (!(await attempt.check(() => deps.hasher.verify(user.password_hash, input.password)))) {
        await attempt.failed();
        throw invalidCredentials();
      }
      await attempt.succeeded();
      if (!user.is_active) throw new DomainError("USER_NOT_ACTIVE", "This account is not activated yet.");
      await requireSecondFactor(user, input.totp_code);
      if (deps.hasher.needsRehash(user.password_hash)) {
        // Best effort: a busy service upgrades the hash at a later login instead.
        const upgraded = await deps.hasher.hash(input.password).catch((error: unknown) => {
          if (isHasherBusy(error)) return null;
          throw error;
        });
        if (upgraded) await users.setPasswordHash(user._id, upgraded, { replacing: user.password_hash });
      }
      return toUser(user);
    },

    /** Always the same answer; the email (if any) is prepared in the background. */
    async forgotPassword(identifier: string): Promise<{ message: string }> {
      const user = await users.findByIdentifier(identifier);
      if (user) deps.runInBackground(() => sendResetLink(user));
      return { message: forgotPasswordMessage };
    },

    /** Sets a new password with an emailed token: single use, claimed exactly once. */
    async resetPassword(input: ResetPasswordInput): Promise<{ message: string }> {
      const token = await deps.resetTokens.findByHash(hashCode(deps.codeKey, input.token));
      if (!token || token.expires_at.getTime() <= Date.now()) throw invalidToken();
      const user = await users.findById(token.user_id.toHexString());
      if (!user) throw invalidToken();
      // A link made before the last password change is dead, even if its deletion failed.
      if (user.password_changed_at && token.created_at <= user.password_changed_at) throw invalidToken();
      assertPasswordPolicy(user, input.password);
      // Hashed before the link is claimed: a busy service leaves the link untouched.
      const passwordHash = await deps.hasher.hash(input.password);
      const group = `user:${user._id.toHexString()}`;
      const keepUntil = new Date(token.expires_at.getTime() + 86_400_000);
      const claim = `reset-token:${token._id.toHexString()}`;
      if (!(await deps.claims.claim(claim, group, keepUntil))) throw invalidToken();
      await replacePassword(user, passwordHash).catch(async (error: unknown) => {
        // Not reset after all: the link stays usable for a retry.
        await deps.claims.release(claim).catch(() => {});
        throw error;
      });
      return { message: "Your password has been reset." };
    },

    /** Changes a password given the current one (a failed try counts as a failed login). */
    async changePassword(input: ChangePasswordInput, request: RequestInfo): Promise<{ message: string }> {
      const user = await users.findById(input.id);
      if (!user) throw new DomainError("USER_NOT_FOUND", `No user matches the id ${input.id}.`);
      const attempt = await startAttempt(accountKey(user, input.id), request.clientIp);
      if (!(await attempt.check(() => deps.hasher.verify(user.password_hash, input.current_password)))) {
        await attempt.failed();
        throw new DomainError("INVALID_CREDENTIALS", "The current password is not correct.");
      }
      await attempt.succeeded();
      // A stolen password alone must not be enough to take the account over.
      await requireSecondFactor(user, input.totp_code);
      assertPasswordPolicy(user, input.password);
      await replacePassword(user, await deps.hasher.hash(input.password));
      return { message: "Your password has been changed." };
    },
  };
}

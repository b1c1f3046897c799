import { Types } from "mongoose";
import type { ClaimStore } from "../claims";
import { DomainError } from "../errors";
import { activationEmail } from "../mail/templates";
import { createCodeChecker, maxCodeAttempts, wrongCodeMessage } from "../one-time-codes";
import type { OutboxRepository } from "../outbox/repository";
import type { MessageVerdict } from "../outbox/worker";
import type { PasswordHasher } from "../passwords";
import type { UserDocument } from "./model";
import { takenError, toUser, type UserRepository } from "./repository";
import { type CreateUserInput, normalizeKey, type User } from "./schemas";

/** Wrong codes a single activation code survives. */
export const maxActivationAttempts = maxCodeAttempts;
export const activationEmailKind = "activation";
export const resendActivationMessage =
  "If an account with this identifier is waiting for activation, a new code has been sent.";

export type UserServiceDeps = {
  users: UserRepository;
  outbox: OutboxRepository;
  claims: ClaimStore;
  hasher: PasswordHasher;
  codeKey: Buffer;
  activationExpirationMinutes: number;
  resendCooldownSeconds: number;
  /** Called after an email was queued (wakes the outbox worker). */
  onEmailQueued: () => void;
};

export type UserService = ReturnType<typeof createUserService>;

export function createUserService(deps: UserServiceDeps) {
  const { users, outbox } = deps;

  /** A fresh code: its keyed hash for the user, its plain value for the email only. */
  const codes = createCodeChecker({ claims: deps.claims, codeKey: deps.codeKey });
  const newActivation = () => {
    const { code, state } = codes.newCode(deps.activationExpirationMinutes);
    return { code, activation: state };
  };

  const queueActivationEmail = (
    user: Pick<UserDocument, "_id" | "email" | "first_name">,
    code: string,
    codeId: string,
  ) =>
    outbox.enqueue({
      userId: user._id,
      kind: activationEmailKind,
      ref: codeId,
      email: activationEmail({
        to: user.email,
        firstName: user.first_name,
        code,
        expiresInMinutes: deps.activationExpirationMinutes,
      }),
    });

  const notFound = (what: string) => new DomainError("USER_NOT_FOUND", `No user matches ${what}.`);
  const claimGroup = (id: Types.ObjectId) => `user:${id.toHexString()}`;

  const removeUser = async (id: Types.ObjectId) => {
    if (!(await users.deleteById(id))) return false;
    await outbox.discardForUser(id);
    await deps.claims.releaseGroup(claimGroup(id));
    return true;
  };

  return {
    /**
     * Registers an inactive user and queues the activation email. The email is queued
     * before the user is written: if the write fails the message is discarded (or, were
     * that to fail too, dropped by the worker as orphaned), so no email is ever lost for a
     * user that exists.
     */
    async register(input: CreateUserInput): Promise<User> {
      const taken = await users.findTaken(input.username, input.email);
      if (taken) throw takenError(taken);
      const passwordHash = await deps.hasher.hash(input.password);
      const { code, activation } = newActivation();
      const draft = {
        _id: new Types.ObjectId(),
        username: input.username,
        first_name: input.first_name,
        last_name: input.last_name,
        email: input.email,
        password_hash: passwordHash,
        gender: input.gender,
        role: input.role,
        is_active: false,
        mfa_enabled: false,
        activation,
      };
      const messageId = await queueActivationEmail(draft, code, activation.code_id);
      try {
        const created = await users.insert(draft);
        deps.onEmailQueued();
        return toUser(created);
      } catch (error) {
        await outbox.discard(messageId).catch(() => {});
        throw error;
      }
    },

    /**
     * Activates with the emailed code; each failure has its own stable code. Every try,
     * right or wrong, takes one of the code's 5 tries, and the code is used by exactly one
     * caller: both are claims, so concurrency cannot stretch either.
     */
    async activate(input: { identifier: string; code: string }): Promise<User> {
      const user = await users.findByIdentifier(input.identifier);
      const invalid = () =>
        new DomainError("INVALID_ACTIVATION_CODE", "The activation code is not valid for this account.");
      if (!user) throw invalid();
      if (user.is_active) throw new DomainError("USER_ALREADY_ACTIVE", "This account is already active.");
      const activation = user.activation;
      if (!activation) throw invalid();
      const checked = await codes.check({
        purpose: "activation",
        group: claimGroup(user._id),
        state: activation,
        code: input.code,
      });
      switch (checked.outcome) {
        case "locked":
          throw new DomainError(
            "ACTIVATION_CODE_LOCKED",
            "Too many wrong codes: this code no longer works. Request a new one (activation/resend).",
          );
        case "expired":
          throw new DomainError(
            "ACTIVATION_CODE_EXPIRED",
            "The activation code has expired. Request a new one.",
          );
        case "wrong":
          await users.recordFailedActivation(user._id, activation.code_id);
          throw new DomainError(
            "INVALID_ACTIVATION_CODE",
            wrongCodeMessage("activation code", checked.triesLeft),
          );
        case "used":
          throw new DomainError("USER_ALREADY_ACTIVE", "This account is already active.");
      }
      const activated = await users
        .activate({ id: user._id, codeId: activation.code_id })
        .catch(async (error) => {
          // Not activated after all: let a retry with the same code through.
          await checked.undo().catch(() => {});
          throw error;
        });
      if (activated) return toUser(activated);
      throw invalid(); // replaced by a resend in the meantime
    },

    /**
     * Sends a new code (the old one dies), at most once per cooldown per user: a code is
     * replaced only once it is that old, and only once (a claim). Answers the same way
     * whether or not the account exists or is already active.
     */
    async resendActivation(identifier: string): Promise<{ message: string }> {
      const user = await users.findByIdentifier(identifier);
      const current = user?.activation;
      if (!user || user.is_active || !current) return { message: resendActivationMessage };
      const cooledDown = current.sent_at.getTime() <= Date.now() - deps.resendCooldownSeconds * 1_000;
      if (cooledDown && (await codes.claimReplacement("activation", claimGroup(user._id), current))) {
        const { code, activation } = newActivation();
        try {
          const messageId = await queueActivationEmail(user, code, activation.code_id);
          const replaced = await users
            .replaceActivation({ id: user._id, codeId: current.code_id, activation })
            .catch(async (error: unknown) => {
              await outbox.discard(messageId).catch(() => {});
              throw error;
            });
          if (replaced) deps.onEmailQueued();
          else await outbox.discard(messageId);
        } catch (error) {
          // Nothing was replaced: a later resend may try again.
          await codes.releaseReplacement("activation", current).catch(() => {});
          throw error;
        }
      }
      return { message: resendActivationMessage };
    },

    async getById(id: string): Promise<User> {
      const user = await users.findPublicById(id);
      if (!user) throw notFound(`the id ${id}`);
      return toUser(user);
    },

    /** An active user by username or email; inactive users are not found here. */
    async getActiveByIdentifier(identifier: string): Promise<User> {
      const user = await users.findPublicByIdentifier(identifier);
      if (!user?.is_active) throw notFound("this identifier among active users");
      return toUser(user);
    },

    /** Deletes the user and what belongs only to them (queued email, claims). */
    async deleteById(id: string): Promise<{ message: string }> {
      const user = await users.findById(id);
      if (!user || !(await removeUser(user._id))) throw notFound(`the id ${id}`);
      return { message: "User deleted." };
    },

    async deleteByIdentifier(identifier: string): Promise<{ message: string }> {
      const user = await users.findByIdentifier(identifier);
      if (!user || !(await removeUser(user._id))) throw notFound("this identifier");
      return { message: "User deleted." };
    },

    /** For the outbox worker: does a queued email still go to the user's current address? */
    async judgeRecipient(message: { userId: string; email: { to: string } }): Promise<MessageVerdict> {
      const user = await users.findById(message.userId);
      return user && normalizeKey(user.email) === normalizeKey(message.email.to) ? "send" : "drop";
    },

    /**
     * For the outbox worker: is a queued activation email still the user's live code? A
     * message newer than the user's code is waited for: it was queued before its user was
     * written (registration) or its code stored (resend).
     */
    async judgeActivationEmail(message: {
      userId: string;
      ref: string;
      createdAt: Date;
    }): Promise<MessageVerdict> {
      const user = await users.findById(message.userId);
      if (!user) return "wait";
      if (user.is_active) return "drop";
      if (user.activation?.code_id === message.ref) return "send";
      const current = user.activation?.sent_at.getTime() ?? 0;
      return message.createdAt.getTime() >= current ? "wait" : "drop";
    },
  };
}

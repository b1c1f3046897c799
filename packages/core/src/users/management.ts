import { Types } from "mongoose";
import type { ResetTokenRepository } from "../auth/reset-tokens";
import type { ClaimStore } from "../claims";
import { DomainError } from "../errors";
import { emailChangeCodeEmail, emailChangedEmail } from "../mail/templates";
import { createCodeChecker, wrongCodeMessage } from "../one-time-codes";
import type { OutboxRepository } from "../outbox/repository";
import type { MessageVerdict } from "../outbox/worker";
import type { ListUsersInput, UpdateUserInput } from "./management-schemas";
import { takenError, toUser, type UserRepository } from "./repository";
import { normalizeKey, type User } from "./schemas";

export const emailChangeKind = "email-change";

export type ManagementServiceDeps = {
  users: UserRepository;
  outbox: OutboxRepository;
  claims: ClaimStore;
  codeKey: Buffer;
  codeLifetimeMinutes: number;
  /** At most one code per user this often. */
  cooldownSeconds: number;
  /** Outstanding password resets (they end when the address changes). */
  resetTokens: Pick<ResetTokenRepository, "deleteForUser">;
  onEmailQueued: () => void;
};

export type ManagementService = ReturnType<typeof createManagementService>;

const invalidCursor = () =>
  new DomainError("VALIDATION_ERROR", "Invalid input: cursor: is not a cursor from this API", {
    issues: [{ path: "cursor", message: "is not a cursor from this API" }],
  });

function encodeCursor(createdAt: Date, id: Types.ObjectId): string {
  return Buffer.from(JSON.stringify([createdAt.getTime(), id.toHexString()])).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: Types.ObjectId } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") {
      const createdAt = new Date(value[0]);
      if (Types.ObjectId.isValid(value[1]) && !Number.isNaN(createdAt.getTime())) {
        return { createdAt, id: new Types.ObjectId(value[1]) };
      }
    }
  } catch {
    // fall through
  }
  throw invalidCursor();
}

/** Back-office operations: list and search, profile edits, email change with a code. */
export function createManagementService(deps: ManagementServiceDeps) {
  const { users, outbox } = deps;
  const codes = createCodeChecker({ claims: deps.claims, codeKey: deps.codeKey });
  const group = (id: Types.ObjectId) => `user:${id.toHexString()}`;
  const find = async (id: string) => {
    const user = await users.findById(id);
    if (!user) throw new DomainError("USER_NOT_FOUND", `No user matches the id ${id}.`);
    return user;
  };

  return {
    /** Newest first, keyset-paged by an opaque cursor (never skip/offset). */
    async list(input: ListUsersInput): Promise<{ items: User[]; next_cursor: string | null }> {
      const docs = await users.list({
        limit: input.limit,
        after: input.cursor ? decodeCursor(input.cursor) : undefined,
        prefix: input.q,
        isActive: input.is_active === undefined ? undefined : input.is_active === "true",
        role: input.role,
      });
      const page = docs.slice(0, input.limit);
      const last = page[page.length - 1];
      return {
        items: page.map(toUser),
        next_cursor: docs.length > input.limit && last ? encodeCursor(last.created_at, last._id) : null,
      };
    },

    async update(input: UpdateUserInput): Promise<User> {
      const { id, ...set } = input;
      if (!Types.ObjectId.isValid(id))
        throw new DomainError("USER_NOT_FOUND", `No user matches the id ${id}.`);
      const updated = await users.updateProfile(new Types.ObjectId(id), set);
      if (!updated) throw new DomainError("USER_NOT_FOUND", `No user matches the id ${id}.`);
      return toUser(updated);
    },

    /** Sends a code to the new address; the address changes only once it is confirmed. */
    async requestEmailChange(input: { id: string; new_email: string }): Promise<{ message: string }> {
      const user = await find(input.id);
      const key = normalizeKey(input.new_email);
      if (key === user.email_key) {
        throw new DomainError(
          "VALIDATION_ERROR",
          "Invalid input: new_email: is already this user's address",
          {
            issues: [{ path: "new_email", message: "is already this user's address" }],
          },
        );
      }
      if (await users.findByIdentifier(key)) throw takenError("EMAIL_TAKEN");
      // At most one code per cooldown, and each pending code replaced once: re-requesting
      // buys neither more guesses nor a flood of mail.
      const pending = user.email_change;
      if (pending) {
        const wait = Math.ceil(
          (pending.sent_at.getTime() + deps.cooldownSeconds * 1_000 - Date.now()) / 1_000,
        );
        if (wait > 0 || !(await codes.claimReplacement(emailChangeKind, group(user._id), pending))) {
          throw new DomainError(
            "TOO_MANY_ATTEMPTS",
            `A code was just sent; try again in ${Math.max(wait, 1)} seconds.`,
            {
              retryAfterSeconds: Math.max(wait, 1),
            },
          );
        }
      }
      const { code, state } = codes.newCode(deps.codeLifetimeMinutes);
      const messageId = await outbox.enqueue({
        userId: user._id,
        kind: emailChangeKind,
        ref: state.code_id,
        email: emailChangeCodeEmail({
          to: input.new_email.trim(),
          firstName: user.first_name,
          code,
          expiresInMinutes: deps.codeLifetimeMinutes,
        }),
      });
      await users
        .setEmailChange(user._id, { ...state, new_email: input.new_email.trim(), new_email_key: key })
        .catch(async (error: unknown) => {
          await outbox.discard(messageId).catch(() => {});
          throw error;
        });
      deps.onEmailQueued();
      return { message: "A confirmation code has been sent to the new address." };
    },

    /** Confirms with the code: the address changes and the old one gets a notice. */
    async confirmEmailChange(input: { id: string; code: string }): Promise<User> {
      const user = await find(input.id);
      const change = user.email_change;
      if (!change)
        throw new DomainError("EMAIL_CHANGE_NOT_PENDING", "No email change is pending: request one first.");
      const checked = await codes.check({
        purpose: emailChangeKind,
        group: group(user._id),
        state: change,
        code: input.code,
      });
      switch (checked.outcome) {
        case "locked":
          throw new DomainError("EMAIL_CODE_LOCKED", "Too many wrong codes: request the change again.");
        case "expired":
          throw new DomainError(
            "EMAIL_CODE_EXPIRED",
            "The confirmation code has expired: request the change again.",
          );
        case "wrong":
          throw new DomainError(
            "INVALID_EMAIL_CODE",
            wrongCodeMessage("confirmation code", checked.triesLeft),
          );
        case "used":
          throw new DomainError("EMAIL_CHANGE_NOT_PENDING", "This change was already confirmed.");
      }
      // The notice to the old address is queued first, so that it cannot be lost after the change.
      const notice = await outbox.enqueue({
        userId: user._id,
        kind: "email-changed",
        ref: "notice",
        email: emailChangedEmail({ to: user.email, firstName: user.first_name, newEmail: change.new_email }),
      });
      const updated = await users.applyEmailChange(user._id, change.code_id).catch(async (error: unknown) => {
        await Promise.all([checked.undo(), outbox.discard(notice)]).catch(() => {});
        throw error;
      });
      if (!updated) {
        await outbox.discard(notice).catch(() => {});
        throw new DomainError("EMAIL_CHANGE_NOT_PENDING", "The change was replaced by a newer request.");
      }
      // Reset links went to the old address: they die with it, queued or not.
      await deps.resetTokens.deleteForUser(user._id);
      await outbox.discardForUser(user._id, ["password-reset"]);
      deps.onEmailQueued();
      return toUser(updated);
    },

    /** For the outbox worker: is a queued code still the pending change's? */
    async judgeEmailChange(message: {
      userId: string;
      ref: string;
      createdAt: Date;
    }): Promise<MessageVerdict> {
      const user = await users.findById(message.userId);
      if (!user) return "drop";
      if (user.email_change?.code_id === message.ref) return "send";
      const current = user.email_change?.sent_at.getTime() ?? 0;
      // Newer than the stored change: queued before its change was written.
      return message.createdAt.getTime() >= current ? "wait" : "drop";
    },
  };
}

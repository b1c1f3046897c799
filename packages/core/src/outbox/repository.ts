import mongoose, { type Connection, Types } from "mongoose";
import { decrypt, encrypt } from "../crypto";
import type { EmailMessage } from "../mail/mailer";
import { type OutboxDocument, outboxModel } from "./model";

/** A claimed message, decrypted, ready to send. */
export type ClaimedMessage = {
  id: string;
  userId: string;
  kind: string;
  ref: string;
  attempts: number;
  createdAt: Date;
  email: EmailMessage;
};

export interface OutboxRepository {
  /** Queues an email; returns its id. */
  enqueue(input: { userId: Types.ObjectId; kind: string; ref: string; email: EmailMessage }): Promise<string>;
  /** Removes a message that was queued for an operation that then failed. */
  discard(id: string): Promise<void>;
  /** Removes every message of a user (on deletion). */
  discardForUser(userId: Types.ObjectId): Promise<void>;
  /**
   * Atomically takes the oldest due message whose lease is free, leasing it to `owner`
   * for `leaseMs`: two instances never hold the same message at once.
   */
  claimNext(owner: string, leaseMs: number): Promise<ClaimedMessage | null>;
  markSent(id: string, owner: string): Promise<void>;
  /** Gives the message back for a later try (counted or not as an attempt). */
  retryLater(
    id: string,
    owner: string,
    options: { at: Date; error: string; countAttempt: boolean },
  ): Promise<void>;
  markFailed(id: string, owner: string, error: string): Promise<void>;
  markDropped(id: string, owner: string, reason: string): Promise<void>;
  ensureIndexes(): Promise<void>;
}

// The connection runs with sanitizeFilter: operators we mean are marked trusted.
const { trusted } = mongoose;

export function createOutboxRepository(connection: Connection, encryptionKey: Buffer): OutboxRepository {
  const Outbox = outboxModel(connection);
  const finish = async (id: string, owner: string, set: Partial<OutboxDocument>) => {
    await Outbox.updateOne(
      { _id: new Types.ObjectId(id), lease_owner: owner },
      { $set: { ...set, lease_owner: null, lease_until: null }, $unset: { payload_enc: 1 } },
    ).exec();
  };
  return {
    async enqueue({ userId, kind, ref, email }) {
      const doc = await Outbox.create({
        user_id: userId,
        kind,
        ref,
        payload_enc: encrypt(encryptionKey, JSON.stringify(email)),
        status: "pending",
        next_attempt_at: new Date(),
      });
      return doc._id.toHexString();
    },
    async discard(id) {
      await Outbox.deleteOne({ _id: new Types.ObjectId(id) }).exec();
    },
    async discardForUser(userId) {
      await Outbox.deleteMany({ user_id: userId }).exec();
    },
    async claimNext(owner, leaseMs) {
      const now = new Date();
      const doc = await Outbox.findOneAndUpdate(
        {
          status: "pending",
          next_attempt_at: trusted({ $lte: now }),
          $or: [{ lease_until: null }, { lease_until: trusted({ $lte: now }) }],
        },
        { $set: { lease_owner: owner, lease_until: new Date(now.getTime() + leaseMs) } },
        { sort: { next_attempt_at: 1 }, new: true },
      )
        .lean<OutboxDocument>()
        .exec();
      if (!doc) return null;
      return {
        id: doc._id.toHexString(),
        userId: doc.user_id.toHexString(),
        kind: doc.kind,
        ref: doc.ref,
        attempts: doc.attempts,
        createdAt: doc.created_at,
        email: JSON.parse(decrypt(encryptionKey, doc.payload_enc ?? "")) as EmailMessage,
      };
    },
    markSent: (id, owner) => finish(id, owner, { status: "sent", sent_at: new Date(), last_error: null }),
    markFailed: (id, owner, error) => finish(id, owner, { status: "failed", last_error: error }),
    markDropped: (id, owner, reason) => finish(id, owner, { status: "dropped", last_error: reason }),
    async retryLater(id, owner, { at, error, countAttempt }) {
      await Outbox.updateOne(
        { _id: new Types.ObjectId(id), lease_owner: owner },
        {
          $set: { next_attempt_at: at, last_error: error, lease_owner: null, lease_until: null },
          ...(countAttempt ? { $inc: { attempts: 1 } } : {}),
        },
      ).exec();
    },
    async ensureIndexes() {
      await Outbox.createCollection();
      await Outbox.createIndexes();
    },
  };
}

import mongoose, { type Connection, Types } from "mongoose";
import type { ClaimStore } from "../claims";
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
   * Takes the oldest due message whose lease is free, leasing it to `owner` for `leaseMs`:
   * two instances never hold the same message at once (each lease is a claim, see claims.ts).
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

export function createOutboxRepository(deps: {
  connection: Connection;
  claims: ClaimStore;
  encryptionKey: Buffer;
}): OutboxRepository {
  const { claims, encryptionKey } = deps;
  const Outbox = outboxModel(deps.connection);
  const group = (id: Types.ObjectId | string) => `outbox:${String(id)}`;
  const finish = async (id: string, owner: string, set: Partial<OutboxDocument>) => {
    await Outbox.updateOne(
      { _id: new Types.ObjectId(id), lease_owner: owner },
      {
        $set: { ...set, lease_owner: null, lease_until: null },
        $unset: { payload_enc: 1 },
        $inc: { lease_gen: 1 },
      },
    ).exec();
    await claims.releaseGroup(group(id));
  };
  /** Still the same due, unleased-or-expired message we read (and now hold the claim on)? */
  const unchanged = (before: OutboxDocument, now: OutboxDocument | null) =>
    now !== null &&
    now.status === "pending" &&
    now.lease_gen === before.lease_gen &&
    (now.lease_until?.getTime() ?? 0) === (before.lease_until?.getTime() ?? 0);
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
      await claims.releaseGroup(group(id));
    },
    async discardForUser(userId) {
      const ids = await Outbox.find({ user_id: userId }, { _id: 1 }).lean<{ _id: Types.ObjectId }[]>().exec();
      await Outbox.deleteMany({ user_id: userId }).exec();
      await Promise.all(ids.map((doc) => claims.releaseGroup(group(doc._id))));
    },
    async claimNext(owner, leaseMs) {
      const now = new Date();
      const candidates = await Outbox.find({
        status: "pending",
        next_attempt_at: trusted({ $lte: now }),
        $or: [{ lease_until: null }, { lease_until: trusted({ $lte: now }) }],
      })
        .sort({ next_attempt_at: 1 })
        .limit(8)
        .lean<OutboxDocument[]>()
        .exec();
      for (const doc of candidates) {
        const lease = `${group(doc._id)}:${doc.lease_gen}:${doc.lease_until?.getTime() ?? 0}`;
        if (!(await claims.claim(lease, group(doc._id)))) continue;
        // Re-read after winning: the message may have been finished since we listed it.
        const current = await Outbox.findById(doc._id).lean<OutboxDocument>().exec();
        if (!current || !unchanged(doc, current)) continue;
        await Outbox.updateOne(
          { _id: doc._id },
          { $set: { lease_owner: owner, lease_until: new Date(Date.now() + leaseMs) } },
        ).exec();
        return {
          id: current._id.toHexString(),
          userId: current.user_id.toHexString(),
          kind: current.kind,
          ref: current.ref,
          attempts: current.attempts,
          createdAt: current.created_at,
          email: JSON.parse(decrypt(encryptionKey, current.payload_enc ?? "")) as EmailMessage,
        };
      }
      return null;
    },
    markSent: (id, owner) => finish(id, owner, { status: "sent", sent_at: new Date(), last_error: null }),
    markFailed: (id, owner, error) => finish(id, owner, { status: "failed", last_error: error }),
    markDropped: (id, owner, reason) => finish(id, owner, { status: "dropped", last_error: reason }),
    async retryLater(id, owner, { at, error, countAttempt }) {
      await Outbox.updateOne(
        { _id: new Types.ObjectId(id), lease_owner: owner },
        {
          $set: { next_attempt_at: at, last_error: error, lease_owner: null, lease_until: null },
          $inc: { lease_gen: 1, attempts: countAttempt ? 1 : 0 },
        },
      ).exec();
    },
    async ensureIndexes() {
      await Outbox.createCollection();
      await Outbox.createIndexes();
    },
  };
}

import mongoose, { type Connection, Types } from "mongoose";
import { claimKeys } from "../claim-keys";
import type { EmailMessage } from "../email/mailer";
import type { OutboxStore } from "../email/outbox-store";
import type { Keyring } from "../keyring";
import type { ClaimStore } from "../ports";
import { createLeases } from "./leases";
import { type OutboxDocument, outboxModel } from "./outbox-model";

// The connection runs with sanitizeFilter: operators we mean are marked trusted.
const { trusted } = mongoose;

export function createOutboxRepository(deps: {
  connection: Connection;
  claims: ClaimStore;
  /** Seals bodies with the current key; opens those sealed under any configured key. */
  keys: Pick<Keyring, "seal" | "open">;
}): OutboxStore & { ensureIndexes(): Promise<void> } {
  const { claims, keys } = deps;
  const Outbox = outboxModel(deps.connection);
  const leases = createLeases(claims);
  /** Claims on the leases of one message generation: `<lease group>:<n>` for the n-th lease. */
  const leaseGroup = (id: Types.ObjectId | string, gen: number) => claimKeys.outboxLeases(String(id), gen);
  const finish = async (id: string, owner: string, set: Partial<OutboxDocument>) => {
    const objectId = new Types.ObjectId(id);
    const before = await Outbox.findById(objectId, { lease_gen: 1 })
      .lean<Pick<OutboxDocument, "lease_gen">>()
      .exec();
    await Outbox.updateOne(
      { _id: objectId, lease_owner: owner },
      {
        $set: { ...set, lease_owner: null, lease_until: null },
        $unset: { payload_enc: 1 },
        $inc: { lease_gen: 1 },
      },
    ).exec();
    if (before) await claims.releaseGroup(leaseGroup(id, before.lease_gen));
  };

  /** The next lease on a message (see leases.ts). */
  const takeLease = (doc: OutboxDocument, leaseMs: number) =>
    leases.take(leaseGroup(doc._id, doc.lease_gen), leaseMs);

  return {
    async enqueue({ userId, kind, ref, email }) {
      const doc = await Outbox.create({
        user_id: new Types.ObjectId(userId),
        kind,
        ref,
        payload_enc: keys.seal(JSON.stringify(email)),
        status: "pending",
        next_attempt_at: new Date(),
      });
      return doc._id.toHexString();
    },
    async discard(id) {
      const doc = await Outbox.findById(id).lean<OutboxDocument>().exec();
      await Outbox.deleteOne({ _id: new Types.ObjectId(id) }).exec();
      if (doc) await claims.releaseGroup(leaseGroup(id, doc.lease_gen));
    },
    async discardForUser(userId, kinds) {
      const user_id = new Types.ObjectId(userId);
      const filter = kinds ? { user_id, kind: mongoose.trusted({ $in: [...kinds] }) } : { user_id };
      const docs = await Outbox.find(filter).lean<OutboxDocument[]>().exec();
      await Outbox.deleteMany(filter).exec();
      await Promise.all(docs.map((doc) => claims.releaseGroup(leaseGroup(doc._id, doc.lease_gen))));
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
        if (!(await takeLease(doc, leaseMs))) continue;
        // Re-read after winning: the message may have been finished since we listed it.
        const current = await Outbox.findById(doc._id).lean<OutboxDocument>().exec();
        if (current?.status !== "pending" || current.lease_gen !== doc.lease_gen) continue;
        await Outbox.updateOne(
          { _id: doc._id },
          { $set: { lease_owner: owner, lease_until: new Date(Date.now() + leaseMs) } },
        ).exec();
        let email: EmailMessage;
        try {
          email = JSON.parse(keys.open(current.payload_enc ?? "").plaintext) as EmailMessage;
        } catch {
          // Sealed with a key that is not configured (or damaged): it can never be sent.
          await finish(current._id.toHexString(), owner, { status: "failed", last_error: "cannot decrypt" });
          continue;
        }
        return {
          id: current._id.toHexString(),
          userId: current.user_id.toHexString(),
          kind: current.kind,
          ref: current.ref,
          attempts: current.attempts,
          createdAt: current.created_at,
          email,
        };
      }
      return null;
    },
    markSent: (id, owner) => finish(id, owner, { status: "sent", sent_at: new Date(), last_error: null }),
    markFailed: (id, owner, error) => finish(id, owner, { status: "failed", last_error: error }),
    markDropped: (id, owner, reason) => finish(id, owner, { status: "dropped", last_error: reason }),
    async retryLater(id, owner, { at, error, countAttempt }) {
      const before = await Outbox.findById(id, { lease_gen: 1 })
        .lean<Pick<OutboxDocument, "lease_gen">>()
        .exec();
      await Outbox.updateOne(
        { _id: new Types.ObjectId(id), lease_owner: owner },
        {
          $set: { next_attempt_at: at, last_error: error, lease_owner: null, lease_until: null },
          $inc: { lease_gen: 1, attempts: countAttempt ? 1 : 0 },
        },
      ).exec();
      if (before) await claims.releaseGroup(leaseGroup(id, before.lease_gen));
    },
    async purgeFinished(before) {
      const result = await Outbox.deleteMany({
        status: trusted({ $in: ["sent", "dropped"] }),
        updated_at: trusted({ $lt: before }),
      }).exec();
      return result.deletedCount;
    },
    async stats() {
      const [pending, failed, oldest] = await Promise.all([
        Outbox.countDocuments({ status: "pending" }).exec(),
        Outbox.countDocuments({ status: "failed" }).exec(),
        Outbox.findOne({ status: "pending" }).sort({ created_at: 1 }).lean<OutboxDocument>().exec(),
      ]);
      return { pending, failed, oldestPendingAt: oldest?.created_at ?? null };
    },
    async ensureIndexes() {
      await Outbox.createCollection();
      await Outbox.createIndexes();
    },
  };
}

import mongoose, { type Connection } from "mongoose";
import type { Keyring } from "../keyring";
import { type DeliveryDocument, webhookModels } from "./webhook-repository";

const { trusted } = mongoose;

type Counts = { scanned: number; resealed: number; changedMeanwhile: number; unreadable: number };

/**
 * Key rotation of webhook data: subscription secrets (current and previous) and the bodies
 * of pending deliveries sealed with a previous key are sealed again with the current one;
 * each write compares on the value read (safe beside live instances, idempotent).
 */
export function createWebhookReseal(deps: { connection: Connection; keys: Keyring }) {
  const { keys } = deps;
  const { Subscriptions, Deliveries } = webhookModels(deps.connection);
  const stale = (sealed: string | null | undefined): sealed is string => !!sealed && !keys.isCurrent(sealed);

  const reseal = async (
    counts: Counts,
    sealed: string,
    write: (resealed: string) => Promise<{ modifiedCount: number }>,
  ) => {
    let resealed: string;
    try {
      resealed = keys.seal(keys.open(sealed).plaintext);
    } catch {
      counts.unreadable++;
      return;
    }
    if ((await write(resealed)).modifiedCount === 1) counts.resealed++;
    else counts.changedMeanwhile++;
  };

  return {
    async resealAll(onBatch: (counts: Counts, lastId: string) => void, batchSize: number): Promise<Counts> {
      const counts: Counts = { scanned: 0, resealed: 0, changedMeanwhile: 0, unreadable: 0 };
      for (const doc of await Subscriptions.find({}).lean().exec()) {
        counts.scanned++;
        for (const field of ["secret_enc", "previous_secret_enc"] as const) {
          const sealed = doc[field];
          if (!stale(sealed)) continue;
          await reseal(counts, sealed, (resealed) =>
            Subscriptions.updateOne(
              { _id: doc._id, [field]: sealed },
              { $set: { [field]: resealed } },
            ).exec(),
          );
        }
      }
      let after: string | null = null;
      for (;;) {
        const docs: Pick<DeliveryDocument, "_id" | "payload_enc">[] = await Deliveries.find(
          after ? { _id: trusted({ $gt: after }) } : {},
          { _id: 1, payload_enc: 1 },
        )
          .sort({ _id: 1 })
          .limit(batchSize)
          .lean<Pick<DeliveryDocument, "_id" | "payload_enc">[]>()
          .exec();
        const last = docs[docs.length - 1];
        if (!last) break;
        for (const doc of docs) {
          counts.scanned++;
          const sealed = doc.payload_enc;
          if (!stale(sealed)) continue;
          await reseal(counts, sealed, (resealed) =>
            Deliveries.updateOne(
              { _id: doc._id, status: "pending", payload_enc: sealed },
              { $set: { payload_enc: resealed } },
            ).exec(),
          );
        }
        after = last._id;
        onBatch(counts, last._id);
      }
      return counts;
    },
    /** Sealed values that still need a previous key. */
    async countStale(): Promise<number> {
      let count = 0;
      for (const doc of await Subscriptions.find({}).lean().exec()) {
        if (stale(doc.secret_enc)) count++;
        if (stale(doc.previous_secret_enc)) count++;
      }
      for (const doc of await Deliveries.find({ status: "pending" }, { payload_enc: 1 }).lean().exec()) {
        if (stale(doc.payload_enc)) count++;
      }
      return count;
    },
  };
}

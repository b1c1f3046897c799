import mongoose, { type Connection, type Model, type Types } from "mongoose";
import type { Keyring } from "../keyring";
import { needsReseal, planMfaReseal } from "../mfa/reseal";
import { type OutboxDocument, outboxModel } from "./outbox-model";
import { mfaOf, type UserDocument, userModel } from "./user-model";
import { createUserUpdates } from "./user-updates";
import { createWebhookReseal } from "./webhook-reseal";

// The connection runs with sanitizeFilter: operators we mean are marked trusted.
const { trusted } = mongoose;

/** What one collection's pass did: documents read, values re-sealed, and those left. */
export type ResealCounts = {
  scanned: number;
  resealed: number;
  /** Changed by someone else between our read and our write (written anew: nothing to do). */
  changedMeanwhile: number;
  /** Sealed with a key that is not configured (or damaged): left as they are. */
  unreadable: number;
};

export type ResealProgress = ResealCounts & { collection: "users" | "outbox" | "webhooks"; lastId: string };

export type ResealReport = { users: ResealCounts; outbox: ResealCounts; webhooks: ResealCounts };

const zero = (): ResealCounts => ({ scanned: 0, resealed: 0, changedMeanwhile: 0, unreadable: 0 });

/** Every document of a collection, in batches by `_id` (only `_id` filters: cheap on FerretDB too). */
async function* batches<T extends { _id: Types.ObjectId }>(
  model: Model<T>,
  projection: Record<string, 1>,
  size: number,
): AsyncGenerator<T[]> {
  let after: Types.ObjectId | null = null;
  for (;;) {
    const docs: T[] = await model
      .find(after ? { _id: trusted({ $gt: after }) } : {}, projection)
      .sort({ _id: 1 })
      .limit(size)
      .lean<T[]>()
      .exec();
    const last = docs[docs.length - 1];
    if (!last) return;
    yield docs;
    after = last._id;
  }
}

/**
 * Key rotation over the stored data: re-seals with the current key every value sealed with
 * a previous one (TOTP secrets, pending enrolment secrets, recovery peppers, queued email
 * bodies, webhook secrets and pending delivery bodies), migrating users enrolled before
 * recovery peppers on the way. Each write compares
 * on the value read, so it runs safely beside live instances; it is idempotent (values
 * already current are skipped without decryption), so a run stopped midway is finished by
 * running it again.
 */
export function createKeyRotation(deps: { connection: Connection; keys: Keyring }) {
  const { keys } = deps;
  const Users = userModel(deps.connection);
  const Outbox = outboxModel(deps.connection);
  const updates = createUserUpdates(Users);
  const webhooks = createWebhookReseal(deps);

  const resealUsers = async (batchSize: number, onProgress: (p: ResealProgress) => void) => {
    const counts = zero();
    for await (const docs of batches<UserDocument>(Users, { _id: 1, mfa: 1 }, batchSize)) {
      for (const doc of docs) {
        counts.scanned++;
        const mfa = mfaOf(doc);
        if (!mfa) continue;
        const { reseal, unreadable } = planMfaReseal(keys, mfa);
        counts.unreadable += unreadable;
        if (!reseal) continue;
        if (await updates.resealMfa(doc._id.toHexString(), reseal)) counts.resealed++;
        else counts.changedMeanwhile++;
      }
      onProgress({ collection: "users", lastId: String(docs[docs.length - 1]?._id), ...counts });
    }
    return counts;
  };

  const resealOutbox = async (batchSize: number, onProgress: (p: ResealProgress) => void) => {
    const counts = zero();
    const projection = { _id: 1, payload_enc: 1, status: 1 } as const;
    for await (const docs of batches<OutboxDocument>(Outbox, projection, batchSize)) {
      for (const doc of docs) {
        counts.scanned++;
        const sealed = doc.payload_enc;
        if (!sealed || keys.isCurrent(sealed)) continue;
        let resealed: string;
        try {
          resealed = keys.seal(keys.open(sealed).plaintext);
        } catch {
          counts.unreadable++;
          continue;
        }
        // Compare-on-old-value, as for users: a message finished meanwhile lost its body and
        // keeps it lost (on FerretDB, whose guarded updates are not atomic, a finish landing
        // inside this one update's read-to-write gap could get the sealed body back on a
        // finished message: it is never sent again, and goes with the retention purge).
        const result = await Outbox.updateOne(
          { _id: doc._id, status: "pending", payload_enc: sealed },
          { $set: { payload_enc: resealed } },
        ).exec();
        if (result.modifiedCount === 1) counts.resealed++;
        else counts.changedMeanwhile++;
      }
      onProgress({ collection: "outbox", lastId: String(docs[docs.length - 1]?._id), ...counts });
    }
    return counts;
  };

  return {
    /** One pass over users and the outbox; reports what it did per collection. */
    async resealAll(
      options: { batchSize?: number; onProgress?: (progress: ResealProgress) => void } = {},
    ): Promise<ResealReport> {
      const batchSize = options.batchSize ?? 500;
      const onProgress = options.onProgress ?? (() => {});
      const users = await resealUsers(batchSize, onProgress);
      const outbox = await resealOutbox(batchSize, onProgress);
      const webhookCounts = await webhooks.resealAll(
        (counts, lastId) => onProgress({ collection: "webhooks", lastId, ...counts }),
        batchSize,
      );
      return { users, outbox, webhooks: webhookCounts };
    },

    /**
     * How many stored values still need a key other than the current one: after a pass,
     * those no configured key opens, and any written meanwhile by an instance that does not
     * seal with the current key yet. Zero means the previous keys are no longer needed for
     * sealed data (codes and links hashed under them still are, until they expire).
     */
    async countStale(batchSize = 500): Promise<{ users: number; outbox: number; webhooks: number }> {
      let users = 0;
      let outbox = 0;
      for await (const docs of batches<UserDocument>(Users, { _id: 1, mfa: 1 }, batchSize)) {
        for (const doc of docs) {
          const mfa = mfaOf(doc);
          if (mfa && needsReseal(keys, mfa)) users++;
        }
      }
      for await (const docs of batches<OutboxDocument>(Outbox, { _id: 1, payload_enc: 1 }, batchSize)) {
        for (const doc of docs) if (doc.payload_enc && !keys.isCurrent(doc.payload_enc)) outbox++;
      }
      return { users, outbox, webhooks: await webhooks.countStale() };
    },
  };
}

export type KeyRotation = ReturnType<typeof createKeyRotation>;

import { type Connection, type Model, Schema, type Types } from "mongoose";

export const outboxStatuses = ["pending", "sent", "failed", "dropped"] as const;
export type OutboxStatus = (typeof outboxStatuses)[number];

/**
 * A queued email. Its rendered content (which may hold a code) is encrypted at rest and
 * removed once sent. `ref` ties it to the thing it announces (e.g. an activation code id):
 * when that is superseded, the message is dropped instead of sent.
 */
export type OutboxDocument = {
  _id: Types.ObjectId;
  user_id: Types.ObjectId;
  kind: string;
  ref: string;
  payload_enc?: string;
  status: OutboxStatus;
  attempts: number;
  /** Bumped whenever a lease ends, so that each lease can be claimed exactly once. */
  lease_gen: number;
  next_attempt_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  last_error: string | null;
  sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const outboxSchema = new Schema<OutboxDocument>(
  {
    user_id: { type: Schema.Types.ObjectId, required: true, index: true },
    kind: { type: String, required: true },
    ref: { type: String, required: true },
    payload_enc: { type: String },
    status: { type: String, enum: outboxStatuses, required: true, default: "pending" },
    attempts: { type: Number, required: true, default: 0 },
    lease_gen: { type: Number, required: true, default: 0 },
    next_attempt_at: { type: Date, required: true },
    lease_owner: { type: String, default: null },
    lease_until: { type: Date, default: null },
    last_error: { type: String, default: null },
    sent_at: { type: Date, default: null },
  },
  {
    collection: "outbox",
    strict: "throw",
    timestamps: { createdAt: "created_at", updatedAt: "updated_at" },
    versionKey: false,
  },
);
outboxSchema.index({ status: 1, next_attempt_at: 1 });

export function outboxModel(connection: Connection): Model<OutboxDocument> {
  const existing: Model<OutboxDocument> | undefined = connection.models.Outbox;
  return existing ?? connection.model<OutboxDocument>("Outbox", outboxSchema);
}

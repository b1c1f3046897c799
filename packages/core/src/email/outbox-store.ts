import type { EmailMessage } from "./mailer";

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

export type OutboxStats = { pending: number; failed: number; oldestPendingAt: Date | null };

/** Port: the durable queue of emails (persistence/outbox-repository.ts for MongoDB). */
export interface OutboxStore {
  /** Stores a message (its body sealed at rest); returns its id. */
  enqueue(input: { userId: string; kind: string; ref: string; email: EmailMessage }): Promise<string>;
  /** Removes a message that was queued for an operation that then failed. */
  discard(id: string): Promise<void>;
  /** Removes the messages of a user (of some kinds, or all on deletion). */
  discardForUser(userId: string, kinds?: readonly string[]): Promise<void>;
  /**
   * Takes the oldest due message whose lease is free, leasing it to `owner` for `leaseMs`:
   * two instances never hold the same message at once.
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
  /** Backlog figures for readiness and metrics. */
  stats(): Promise<OutboxStats>;
  /** Deletes sent and dropped messages that finished before `before`; returns how many. */
  purgeFinished(before: Date): Promise<number>;
}

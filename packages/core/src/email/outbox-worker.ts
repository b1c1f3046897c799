import { randomId } from "../crypto";
import type { UserLookup } from "../ports";
import { backoffDelay, createWorkerLoop } from "../worker-loop";
import { emailKindNamed, type MessageVerdict } from "./kinds";
import type { Mailer } from "./mailer";
import type { EmailOutbox } from "./outbox";
import type { ClaimedMessage, OutboxStore } from "./outbox-store";

export type OutboxWorkerOptions = {
  store: OutboxStore;
  /** Queuing through it wakes the worker. */
  outbox: Pick<EmailOutbox, "onQueued">;
  mailer: Mailer;
  /** The users the messages are for: each kind's send-time rule reads them. */
  users: Pick<UserLookup, "findById">;
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  leaseMs: number;
  onEvent?: (event: OutboxEvent) => void;
};

export type OutboxEvent =
  | { type: "sent"; id: string; kind: string }
  | { type: "retry"; id: string; attempts: number; error: string }
  | { type: "failed"; id: string; error: string }
  | { type: "dropped"; id: string; reason: string }
  | { type: "error"; error: unknown };

export type OutboxWorker = {
  start(): void;
  /** Stops after the message in hand; resolves when idle. */
  stop(): Promise<void>;
};

/** An unsent message whose user is not there yet this long after queuing was orphaned. */
const orphanAfterMs = 5 * 60_000;

/** Asks the message's kind whether it is still wanted (kinds without a rule always are). */
async function judge(message: ClaimedMessage, users: Pick<UserLookup, "findById">): Promise<MessageVerdict> {
  const rule = emailKindNamed(message.kind)?.stillWanted;
  return rule ? rule(message, await users.findById(message.userId)) : "send";
}

/**
 * Delivers queued email: claims a message with a lease, checks it is still wanted, sends
 * it, and retries failures with exponential backoff (with jitter) up to `maxAttempts`.
 */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const owner = randomId(8);
  const emit = options.onEvent ?? (() => {});
  const { store } = options;
  const backoff = (attempts: number) =>
    backoffDelay({ baseMs: options.retryBaseMs, maxMs: options.retryMaxMs, jitter: 0.5 }, attempts);

  async function handle(message: ClaimedMessage): Promise<void> {
    const verdict = await judge(message, options.users);
    if (verdict === "drop") {
      await store.markDropped(message.id, owner, "superseded");
      emit({ type: "dropped", id: message.id, reason: "superseded" });
      return;
    }
    if (verdict === "wait") {
      if (Date.now() - message.createdAt.getTime() > orphanAfterMs) {
        await store.markDropped(message.id, owner, "orphaned");
        emit({ type: "dropped", id: message.id, reason: "orphaned" });
      } else {
        const at = new Date(Date.now() + options.pollIntervalMs);
        await store.retryLater(message.id, owner, {
          at,
          error: "waiting for its user",
          countAttempt: false,
        });
      }
      return;
    }
    try {
      await options.mailer.send(message.email);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const attempts = message.attempts + 1;
      if (attempts >= options.maxAttempts) {
        await store.markFailed(message.id, owner, reason);
        emit({ type: "failed", id: message.id, error: reason });
      } else {
        const at = new Date(Date.now() + backoff(message.attempts));
        await store.retryLater(message.id, owner, { at, error: reason, countAttempt: true });
        emit({ type: "retry", id: message.id, attempts, error: reason });
      }
      return;
    }
    await store.markSent(message.id, owner);
    emit({ type: "sent", id: message.id, kind: message.kind });
  }

  const loop = createWorkerLoop({
    pollIntervalMs: options.pollIntervalMs,
    onError: (error) => emit({ type: "error", error }),
    async step() {
      const message = await store.claimNext(owner, options.leaseMs);
      if (message) await handle(message);
      return message !== null;
    },
  });
  options.outbox.onQueued(() => loop.wake());

  return { start: () => loop.start(), stop: () => loop.stop() };
}

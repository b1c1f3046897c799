import { randomId } from "../crypto";
import type { Keyring } from "../keyring";
import { backoffDelay, createWorkerLoop } from "../worker-loop";
import { WebhookSendError, type WebhookSender } from "./http-sender";
import { signWebhook } from "./signing";
import type {
  ClaimedDelivery,
  WebhookDeliveryStore,
  WebhookSubscription,
  WebhookSubscriptionStore,
} from "./store";

export type WebhookWorkerEvent =
  | { type: "delivered"; id: string; subscriptionId: string; statusCode: number; durationMs: number }
  | {
      type: "retry";
      id: string;
      subscriptionId: string;
      attempts: number;
      error: string;
      durationMs: number | null;
    }
  | { type: "failed"; id: string; subscriptionId: string; error: string; durationMs: number | null }
  | { type: "disabled"; subscriptionId: string; reason: string }
  | { type: "error"; error: unknown };

export type WebhookWorkerOptions = {
  /** `batchSize`: a batch this full means more events wait (fan out again at once). */
  fanout: { runOnce(): Promise<number>; batchSize?: number };
  deliveries: WebhookDeliveryStore;
  subscriptions: Pick<WebhookSubscriptionStore, "get" | "recordOutcome" | "update">;
  send: WebhookSender;
  /** Opens the sealed signing secrets. */
  keys: Pick<Keyring, "open">;
  pollIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  leaseMs: number;
  /** A subscription failing this long without a success (and 10+ failed tries) is disabled. */
  disableAfterMs: number;
  onEvent?: (event: WebhookWorkerEvent) => void;
  /**
   * Wakes (an event recorded here) closer than this to the last fan-out wait for it, so a
   * burst of events (a login storm) is fanned out in batches, not one query per event.
   */
  wakeGapMs?: number;
};

/** Failed tries a subscription needs (beside the time) before it is disabled. */
const minFailuresToDisable = 10;

/**
 * Delivers webhooks: fans recorded events out into deliveries, leases the next due one,
 * signs it (Standard Webhooks) and POSTs it; a failure is retried with exponential backoff
 * (10% jitter) until `maxAttempts`, then marked failed. A subscription whose deliveries keep
 * failing is disabled; its waiting deliveries then fail without a try.
 */
export function createWebhookWorker(options: WebhookWorkerOptions) {
  const owner = randomId(8);
  const emit = options.onEvent ?? (() => {});
  const { deliveries } = options;
  const backoff = (attempts: number) =>
    backoffDelay({ baseMs: options.retryBaseMs, maxMs: options.retryMaxMs, jitter: 0.1 }, attempts);

  const secretsOf = (subscription: WebhookSubscription): string[] => {
    const secrets = [options.keys.open(subscription.secretSealed).plaintext];
    const until = subscription.previousSecretUntil;
    if (subscription.previousSecretSealed && until && until.getTime() > Date.now()) {
      secrets.push(options.keys.open(subscription.previousSecretSealed).plaintext);
    }
    return secrets;
  };

  const maybeDisable = async (subscription: WebhookSubscription | null) => {
    if (!subscription?.enabled || !subscription.failingSince) return;
    if (subscription.failureStreak < minFailuresToDisable) return;
    if (Date.now() - subscription.failingSince.getTime() < options.disableAfterMs) return;
    const reason = `disabled automatically: ${subscription.failureStreak} failed deliveries since ${subscription.failingSince.toISOString()}`;
    await options.subscriptions.update(subscription.id, { enabled: false, disabledReason: reason });
    emit({ type: "disabled", subscriptionId: subscription.id, reason });
  };

  async function handle(delivery: ClaimedDelivery): Promise<void> {
    const subscription = await options.subscriptions.get(delivery.subscriptionId);
    if (!subscription?.enabled) {
      const error = subscription ? "subscription disabled" : "subscription deleted";
      await deliveries.markFailed(delivery.id, owner, { error, statusCode: null, durationMs: null });
      emit({
        type: "failed",
        id: delivery.id,
        subscriptionId: delivery.subscriptionId,
        error,
        durationMs: null,
      });
      return;
    }
    let outcome:
      | { ok: true; statusCode: number; durationMs: number }
      | { ok: false; error: WebhookSendError };
    try {
      const headers = signWebhook({
        secrets: secretsOf(subscription),
        id: delivery.eventId,
        timestamp: new Date(),
        body: delivery.payload,
      });
      const response = await options.send({ url: subscription.url, headers, body: delivery.payload });
      outcome = { ok: true, ...response };
    } catch (error) {
      const failure =
        error instanceof WebhookSendError
          ? error
          : new WebhookSendError(error instanceof Error ? error.message : String(error), null, null);
      outcome = { ok: false, error: failure };
    }
    const after = await options.subscriptions.recordOutcome(subscription.id, {
      ok: outcome.ok,
      at: new Date(),
    });
    if (outcome.ok) {
      await deliveries.markDelivered(delivery.id, owner, outcome);
      emit({ type: "delivered", id: delivery.id, subscriptionId: subscription.id, ...outcome });
      return;
    }
    const { message: error, statusCode, durationMs } = outcome.error;
    const attempts = delivery.attempts + 1;
    if (attempts >= options.maxAttempts) {
      await deliveries.markFailed(delivery.id, owner, { error, statusCode, durationMs });
      emit({ type: "failed", id: delivery.id, subscriptionId: subscription.id, error, durationMs });
    } else {
      const at = new Date(Date.now() + backoff(delivery.attempts));
      await deliveries.retryLater(delivery.id, owner, { at, error, statusCode, durationMs });
      emit({ type: "retry", id: delivery.id, subscriptionId: subscription.id, attempts, error, durationMs });
    }
    await maybeDisable(after);
  }

  // Fan-out reads the events not yet fanned out: once per poll interval, or at once when an
  // event was just recorded here (wake) or the last batch was full.
  let fanoutWanted = true;
  let lastFanout = 0;
  const fanOut = async () => {
    if (!fanoutWanted && Date.now() - lastFanout < options.pollIntervalMs) return 0;
    fanoutWanted = false;
    lastFanout = Date.now();
    const handled = await options.fanout.runOnce();
    if (handled >= (options.fanout.batchSize ?? 1)) fanoutWanted = true;
    return handled;
  };

  /** One unit of work: a fan-out batch (when due) and one delivery; true when there may be more. */
  const step = async () => {
    const fannedOut = await fanOut();
    const delivery = await deliveries.claimNext(owner, options.leaseMs);
    if (delivery) await handle(delivery);
    return delivery !== null || fannedOut > 0;
  };
  const loop = createWorkerLoop({
    pollIntervalMs: options.pollIntervalMs,
    onError: (error) => {
      fanoutWanted = true;
      emit({ type: "error", error });
    },
    step,
  });
  const wakeGapMs = options.wakeGapMs ?? 250;
  let wakeTimer: ReturnType<typeof setTimeout> | undefined;
  return {
    step,
    start: () => loop.start(),
    stop: () => {
      clearTimeout(wakeTimer);
      wakeTimer = undefined;
      return loop.stop();
    },
    /**
     * An event was recorded, or a delivery queued: fan out and deliver without waiting for
     * the poll; at most once per `wakeGapMs` (later wakes join the next batch).
     */
    wake() {
      fanoutWanted = true;
      const wait = lastFanout + wakeGapMs - Date.now();
      if (wait <= 0) {
        loop.wake();
        return;
      }
      if (wakeTimer !== undefined) return;
      wakeTimer = setTimeout(() => {
        wakeTimer = undefined;
        loop.wake();
      }, wait);
      wakeTimer.unref?.();
    },
  };
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;

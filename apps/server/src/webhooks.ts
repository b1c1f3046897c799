import type { Settings } from "@usersvc/config";
import {
  type AuditStore,
  createHttpWebhookSender,
  createWebhookFanout,
  createWebhookManagement,
  createWebhookWorker,
  type Keyring,
  type PublicUserLookup,
  type SecurityEventRecorder,
  type WebhookDeliveryStore,
  type WebhookSubscriptionStore,
} from "@usersvc/core";
import type { Logger } from "./logger";
import type { Metrics } from "./metrics";
import { version } from "./version";

/**
 * Webhooks' wiring: the delivery worker (fan-out of recorded events, signed POSTs with
 * retries, its events to logs and metrics) and the management use cases. An event recorded
 * here wakes the worker. Wiring only: every rule lives in core's webhooks/.
 */
export function createWebhooks(deps: {
  settings: Settings;
  logger: Logger;
  metrics: Metrics;
  keys: Keyring;
  audit: AuditStore;
  users: PublicUserLookup;
  events: SecurityEventRecorder;
  subscriptions: WebhookSubscriptionStore;
  deliveries: WebhookDeliveryStore;
}) {
  const { settings, logger, metrics, keys, audit, subscriptions, deliveries } = deps;
  const { webhooks: webhookSettings } = settings;
  if (webhookSettings.allowPrivateTargets && settings.environment === "production") {
    logger.warn(
      "WEBHOOKS_ALLOW_PRIVATE_TARGETS=true: webhook targets may resolve to loopback, private and metadata addresses (anyone with an admin key can make this service call them)",
    );
  }
  const webhookWorker = createWebhookWorker({
    fanout: createWebhookFanout({
      events: audit,
      subscriptions,
      deliveries,
      users: deps.users,
    }),
    deliveries,
    subscriptions,
    send: createHttpWebhookSender({ ...webhookSettings, userAgent: `usersvc-webhooks/${version}` }),
    keys,
    ...webhookSettings,
    onEvent: (event) => {
      metrics.observeWebhook(event);
      if (event.type === "error") logger.warn({ err: event.error }, "webhooks: cannot reach the database");
      else if (event.type === "retry") logger.warn(event, "webhooks: delivery failed, will retry");
      else if (event.type === "failed") logger.error(event, "webhooks: giving up on a delivery");
      else if (event.type === "disabled") logger.error(event, "webhooks: subscription disabled");
      else logger.debug(event, `webhooks: ${event.type}`);
    },
  });
  deps.events.onRecorded(() => webhookWorker.wake());
  const management = createWebhookManagement({
    subscriptions,
    deliveries,
    keys,
    policy: webhookSettings,
    newEventId: () => audit.newId(),
    wake: () => webhookWorker.wake(),
  });
  return { worker: webhookWorker, management };
}

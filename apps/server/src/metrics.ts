import {
  type DeliveryStats,
  isHasherBusy,
  isHashingFailure,
  type OutboxStats,
  type PasswordHasher,
  type WebhookWorkerEvent,
} from "@usersvc/core";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Prometheus metrics of one server: requests by route and status, login failures and
 * lockouts, argon2 timing, and the outbox backlog (read from the database at scrape time).
 * A registry per instance, so tests can run several servers in one process.
 */
export function createMetrics(deps: {
  outboxStats: () => Promise<OutboxStats>;
  webhookStats?: () => Promise<DeliveryStats>;
}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by route, method, status and API key name (none: no valid key)",
    labelNames: ["route", "method", "status", "api_key"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by route, method, status and API key name (none: no valid key)",
    labelNames: ["route", "method", "status", "api_key"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const loginFailures = new Counter({
    name: "users_login_failures_total",
    help: "Failed login checks by factor (password, mfa)",
    labelNames: ["factor"] as const,
    registers,
  });
  const lockouts = new Counter({
    name: "users_login_lockouts_total",
    help: "Login checks refused with 429 because of too many failures",
    registers,
  });
  const hashing = new Histogram({
    name: "users_password_hash_duration_seconds",
    help: "argon2id time per operation, including the wait for a free slot",
    labelNames: ["operation"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    registers,
  });
  const shedHashes = new Counter({
    name: "users_password_hash_shed_total",
    help: "Password hashes shed because the estimated wait was past PASSWORD_HASH_MAX_WAIT_MS or PASSWORD_HASH_QUEUE_LIMIT were waiting: calls answered 503 SERVICE_BUSY (shed before the user lookup or the password policy, or at the hash), and best-effort rehashes after a login put off",
    registers,
  });
  const failedHashes = new Counter({
    name: "users_password_hash_failures_total",
    help: "Password hashes answered 503 SERVICE_BUSY because the hashing process (or the bcrypt worker) failed during the call",
    registers,
  });
  let hashesWaiting = () => 0;
  new Gauge({
    name: "users_password_hash_waiting",
    help: "Password hashes and checks waiting for a free slot (at most one runs per core)",
    registers,
    collect() {
      this.set(hashesWaiting());
    },
  });
  let stats: Promise<OutboxStats | null> | null = null;
  const readStats = () => {
    // One database read per scrape for both gauges.
    stats ??= deps.outboxStats().catch(() => null);
    setTimeout(() => {
      stats = null;
    }, 1_000).unref();
    return stats;
  };
  new Gauge({
    name: "users_outbox_messages",
    help: "Queued emails by status (pending, failed)",
    labelNames: ["status"] as const,
    registers,
    async collect() {
      const current = await readStats();
      if (!current) return;
      this.set({ status: "pending" }, current.pending);
      this.set({ status: "failed" }, current.failed);
    },
  });
  new Gauge({
    name: "users_outbox_oldest_pending_seconds",
    help: "Age of the oldest email waiting to be sent (0 when none)",
    registers,
    async collect() {
      const current = await readStats();
      if (!current) return;
      this.set(current.oldestPendingAt ? (Date.now() - current.oldestPendingAt.getTime()) / 1_000 : 0);
    },
  });

  const webhookAttempts = new Counter({
    name: "users_webhook_attempts_total",
    help: "Webhook delivery attempts by outcome: delivered, retry (failed, will be retried), failed (given up)",
    labelNames: ["outcome"] as const,
    registers,
  });
  const webhookLatency = new Histogram({
    name: "users_webhook_delivery_duration_seconds",
    help: "Time of one webhook POST (connect, send, answer), successful or not",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const webhooksDisabled = new Counter({
    name: "users_webhook_subscriptions_disabled_total",
    help: "Webhook subscriptions disabled automatically after a long failure streak",
    registers,
  });
  let webhookStats: Promise<DeliveryStats | null> | null = null;
  const readWebhookStats = () => {
    if (!deps.webhookStats) return Promise.resolve(null);
    webhookStats ??= deps.webhookStats().catch(() => null);
    setTimeout(() => {
      webhookStats = null;
    }, 1_000).unref();
    return webhookStats;
  };
  new Gauge({
    name: "users_webhook_deliveries",
    help: "Webhook deliveries by status (pending: the backlog; failed: given up, kept for the log)",
    labelNames: ["status"] as const,
    registers,
    async collect() {
      const current = await readWebhookStats();
      if (!current) return;
      this.set({ status: "pending" }, current.pending);
      this.set({ status: "failed" }, current.failed);
    },
  });
  new Gauge({
    name: "users_webhook_oldest_pending_seconds",
    help: "Age of the oldest webhook delivery waiting (0 when none)",
    registers,
    async collect() {
      const current = await readWebhookStats();
      if (!current) return;
      this.set(current.oldestPendingAt ? (Date.now() - current.oldestPendingAt.getTime()) / 1_000 : 0);
    },
  });

  return {
    registry,
    /** Counts what the webhook worker reports. */
    observeWebhook(event: WebhookWorkerEvent) {
      if (event.type === "disabled") webhooksDisabled.inc();
      if (event.type !== "delivered" && event.type !== "retry" && event.type !== "failed") return;
      webhookAttempts.inc({ outcome: event.type });
      if (event.durationMs !== null) webhookLatency.observe(event.durationMs / 1_000);
    },
    /**
     * Counts and times a request. `apiKey` is a configured key's name (a bounded set: names
     * come from configuration, never from the request), or "none".
     */
    observeRequest(
      labels: { route: string; method: string; status: number; apiKey?: string },
      seconds: number,
    ) {
      const values = {
        route: labels.route,
        method: labels.method,
        status: String(labels.status),
        api_key: labels.apiKey ?? "none",
      };
      requests.inc(values);
      duration.observe(values, seconds);
    },
    /** Counts what an error means for logins (called for every failed procedure). */
    countError(path: string | undefined, code: string) {
      if (path !== "users.auth.check") return;
      if (code === "INVALID_CREDENTIALS") loginFailures.inc({ factor: "password" });
      else if (code === "INVALID_MFA_CODE") loginFailures.inc({ factor: "mfa" });
      else if (code === "TOO_MANY_ATTEMPTS") lockouts.inc();
    },
    /** Wraps a password hasher so that every argon2 call is timed. */
    timeHasher(hasher: PasswordHasher): PasswordHasher {
      hashesWaiting = () => hasher.waiting();
      const timed =
        <T>(operation: string, run: () => Promise<T>) =>
        async () => {
          const stop = hashing.startTimer({ operation });
          try {
            const result = await run();
            stop();
            return result;
          } catch (error) {
            // A refusal took no time worth timing: count it instead.
            if (isHashingFailure(error)) failedHashes.inc();
            else if (isHasherBusy(error)) shedHashes.inc();
            else stop();
            throw error;
          }
        };
      return {
        hash: (password) => timed("hash", () => hasher.hash(password))(),
        // A refusal before any hash (a caller's early shed) counts as shed too.
        admit: () => {
          try {
            hasher.admit();
          } catch (error) {
            if (isHasherBusy(error)) shedHashes.inc();
            throw error;
          }
        },
        verify: (hash, password) => timed("verify", () => hasher.verify(hash, password))(),
        needsRehash: (hash) => hasher.needsRehash(hash),
        waiting: () => hasher.waiting(),
        full: () => hasher.full(),
        close: () => hasher.close?.() ?? Promise.resolve(),
      };
    },
  };
}

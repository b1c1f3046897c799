import type { Settings } from "@usersvc/config";
import {
  childProcessArgon2,
  connectDatabase,
  createAuditRepository,
  createClaimStore,
  createEmailOutbox,
  createHealthService,
  createKeyring,
  createOutboxRepository,
  createOutboxWorker,
  createPasskeyRepository,
  createPasswordHasher,
  createResetTokenRepository,
  createSecurityEventRecorder,
  createSmtpMailer,
  createStrengthEstimator,
  createThrottleLockStore,
  createUserRepository,
  createWebhookRepository,
  emailKinds,
  loadEmailTemplates,
  previewEmails,
  type RunInBackground,
} from "@usersvc/core";
import type { Logger } from "./logger";
import { createMetrics } from "./metrics";
import { eventContextOf } from "./request-scope";
import { createUseCases } from "./use-cases";
import { createWebhooks } from "./webhooks";

export type Container = Awaited<ReturnType<typeof createContainer>>;

/** The ports a test may wrap (fault injection): the container's MongoDB adapters. */
export type PortName =
  | "users"
  | "claims"
  | "outbox"
  | "resetTokens"
  | "passkeys"
  | "audit"
  | "webhookDeliveries";

export type ContainerOptions = {
  /** Tests only: wraps each MongoDB adapter before anything uses it. */
  decoratePorts?: <T extends object>(name: PortName, port: T) => T;
};

/**
 * The composition root: settings -> database -> repositories -> use cases (use-cases.ts)
 * and the outbox worker. Everything but HTTP, so that an API process and a worker-only process build the
 * same graph. Wiring only: every rule lives in core.
 */
export async function createContainer(settings: Settings, logger: Logger, options: ContainerOptions = {}) {
  const decorate = options.decoratePorts ?? (<T extends object>(_name: PortName, port: T) => port);
  // Every email template (ours and EMAIL_TEMPLATES_DIR's), compiled and rendered with sample
  // variables before anything else: a broken one stops the start, naming its file and line.
  const templates = loadEmailTemplates({
    kinds: emailKinds,
    ...(settings.mail.templatesDir ? { overrideDir: settings.mail.templatesDir } : {}),
    defaultLocale: settings.mail.defaultLocale,
  });
  logger.info(
    { locales: templates.locales, overrides: settings.mail.templatesDir },
    "email templates loaded",
  );
  const connection = await retry(settings, logger, "connecting", () => connectDatabase(settings.mongodb));
  const keys = createKeyring({ current: settings.secretKey, previous: settings.previousSecretKeys });
  const users = decorate("users", createUserRepository(connection));
  const writeConcern = settings.mongodb.claimsWriteConcern;
  const claims = decorate("claims", createClaimStore(connection, { writeConcern }));
  const locks = createThrottleLockStore(connection, { writeConcern });
  const store = decorate("outbox", createOutboxRepository({ connection, claims, keys }));
  const resetTokens = decorate("resetTokens", createResetTokenRepository(connection));
  const passkeys = decorate("passkeys", createPasskeyRepository(connection));
  const audit = decorate("audit", createAuditRepository(connection));
  const webhookStore = createWebhookRepository({ connection, claims, keys });
  const webhookDeliveries = decorate("webhookDeliveries", webhookStore.deliveries);
  // A fresh replica set may still be electing: index creation is retried like the connection.
  await retry(settings, logger, "creating indexes", () =>
    Promise.all(
      [users, store, claims, locks, resetTokens, passkeys, audit, webhookStore].map((repository) =>
        repository.ensureIndexes(),
      ),
    ),
  );
  if (settings.mail.credentialsMayGoInClear) {
    logger.warn(
      { host: settings.mail.host, port: settings.mail.port },
      "SMTP credentials may be sent in clear text: the server is not required to offer STARTTLS (set MAIL_USE_TLS=true, or MAIL_USE_SSL=true)",
    );
  }
  const mailer = createSmtpMailer(settings.mail);
  const outbox = createEmailOutbox(store, templates);
  const metrics = createMetrics({
    outboxStats: () => store.stats(),
    webhookStats: () => webhookDeliveries.stats(),
  });
  const { memoryCost, timeCost, parallelism, concurrency, queueLimit, maxWaitMs, runtime } =
    settings.passwordHashing;
  const hasher = metrics.timeHasher(
    createPasswordHasher(
      { memoryCost, timeCost, parallelism },
      {
        maxConcurrent: concurrency,
        maxWaiting: queueLimit,
        maxWaitMs,
        runner:
          runtime === "child-process"
            ? childProcessArgon2({
                concurrency,
                onError: (error) => logger.error({ err: error }, "password hashing process failed"),
              })
            : undefined,
      },
    ),
  );
  // zxcvbn's dictionaries load once, on their worker thread; at most 64 checks wait for it.
  const strength = createStrengthEstimator({ queueLimit: 64 });
  const background = new Set<Promise<void>>();
  const runInBackground: RunInBackground = (task) => {
    const running = task()
      .catch((error: unknown) => logger.error({ err: error }, "background task failed"))
      .finally(() => background.delete(running));
    background.add(running);
  };
  // Security events: stored once the action is complete; one the database refuses is retried
  // from memory (same id) instead of failing an action that already happened.
  const events = createSecurityEventRecorder({
    store: audit,
    newId: () => audit.newId(),
    context: eventContextOf({ trustProxy: settings.http.trustProxy }),
    retry: { baseMs: 1_000, maxMs: 60_000 },
    onError: (error, event, dropped) =>
      dropped
        ? logger.error(
            { err: error, event_id: event.id, type: event.type },
            "audit: event dropped (too many waiting)",
          )
        : logger.warn(
            { err: error, event_id: event.id, type: event.type },
            "audit: cannot store event, will retry",
          ),
  });
  const { worker: webhookWorker, management: webhooks } = createWebhooks({
    settings,
    logger,
    metrics,
    keys,
    audit,
    users,
    events,
    subscriptions: webhookStore.subscriptions,
    deliveries: webhookDeliveries,
  });
  const useCases = createUseCases({
    settings,
    events,
    webhooks,
    ports: { users, claims, locks, resetTokens, passkeys, audit },
    keys,
    hasher,
    strength,
    outbox,
    runInBackground,
    warn: ({ message, ...details }) => logger.warn(details, message),
  });

  const worker = createOutboxWorker({
    store,
    outbox,
    mailer,
    users,
    ...settings.outbox,
    onEvent: (event) => {
      if (event.type === "error") logger.warn({ err: event.error }, "outbox: cannot reach the database");
      else if (event.type === "retry") logger.warn(event, "outbox: send failed, will retry");
      else if (event.type === "failed") logger.error(event, "outbox: giving up on a message");
      else logger.debug(event, `outbox: ${event.type}`);
    },
  });
  let sweeper: NodeJS.Timeout | undefined;
  const retentionMs = settings.outbox.retentionDays * 86_400_000;
  const sweep = () =>
    Promise.all([
      claims.sweep().catch((error: unknown) => logger.warn({ err: error }, "claims sweep failed")),
      locks.sweep().catch((error: unknown) => logger.warn({ err: error }, "throttle locks sweep failed")),
      store
        .purgeFinished(new Date(Date.now() - retentionMs))
        .catch((error: unknown) => logger.warn({ err: error }, "outbox purge failed")),
      resetTokens
        .purgeExpired(new Date())
        .catch((error: unknown) => logger.warn({ err: error }, "reset link purge failed")),
      audit
        .purgeBefore(new Date(Date.now() - settings.audit.retentionDays * 86_400_000))
        .catch((error: unknown) => logger.warn({ err: error }, "audit purge failed")),
      webhookDeliveries
        .purgeFinished(new Date(Date.now() - settings.audit.retentionDays * 86_400_000))
        .catch((error: unknown) => logger.warn({ err: error }, "webhook delivery purge failed")),
    ]).then(() => {});

  return {
    connection,
    /** Every email kind rendered with sample data in a locale: the development preview's source. */
    emailPreview: (locale: string | null) => previewEmails(templates, locale),
    metrics,
    useCases,
    /** The audit trail's recorder (its `unrecorded()` count is a metric). */
    events,
    health: createHealthService({ connection, outbox: store, timeoutMs: settings.mongodb.timeoutMs }),
    /**
     * One pass of the minutely housekeeping: the claims sweep, the purge of finished outbox
     * messages past their retention and the purge of expired reset links. Never throws.
     */
    sweep,
    /** Starts the background work of this process: email delivery, and `sweep` every minute. */
    startBackgroundWork() {
      worker.start();
      webhookWorker.start();
      sweeper ??= setInterval(() => void sweep(), 60_000);
      sweeper.unref();
    },
    /** Finishes background work (the message in hand, pending background tasks), then disconnects. */
    async close() {
      clearInterval(sweeper);
      await Promise.all(background);
      await events.flush();
      await worker.stop();
      await webhookWorker.stop();
      mailer.close();
      await strength.close();
      await Promise.all([connection.close(), hasher.close?.()]);
    },
  };
}

/** The database may start after us (compose, CI): retry for a while, then fail clearly. */
async function retry<T>(
  settings: Settings,
  logger: Logger,
  what: string,
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + 30_000;
  const uri = settings.mongodb.uri.replace(/\/\/[^@/]*@/, "//***@");
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Database at ${uri} failed while ${what}: ${String(error)}`);
      logger.warn({ uri }, `database not ready (${what}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

import type { Settings } from "@usersvc/config";
import {
  activationEmailKind,
  type ClaimedMessage,
  connectDatabase,
  createAuthService,
  createClaimStore,
  createHealthService,
  createManagementService,
  createMfaService,
  createOutboxRepository,
  createOutboxWorker,
  createPasswordHasher,
  createResetTokenRepository,
  createSmtpMailer,
  createThrottle,
  createUserRepository,
  createUserService,
  deriveKeys,
  emailChangeKind,
  type MessageVerdict,
  type OutboxWorker,
} from "@usersvc/core";
import type { Connection } from "mongoose";
import type { Logger } from "./logger";
import { createMetrics } from "./metrics";

export type Container = Awaited<ReturnType<typeof createContainer>>;

/**
 * Settings -> database -> repositories -> services (and the outbox worker): everything but
 * HTTP, so that an API process and a worker-only process build the same graph.
 */
export async function createContainer(settings: Settings, logger: Logger) {
  const connection = await connectWithRetry(settings, logger);
  const keys = deriveKeys(settings.secretKey);
  const userRepository = createUserRepository(connection);
  const claims = createClaimStore(connection);
  const outbox = createOutboxRepository({ connection, claims, encryptionKey: keys.encryption });
  const resetTokens = createResetTokenRepository(connection);
  // A fresh replica set may still be electing: index creation is retried like the connection.
  await retry(settings, logger, "creating indexes", () =>
    Promise.all(
      [userRepository, outbox, claims, resetTokens].map((repository) => repository.ensureIndexes()),
    ),
  );
  const mailer = createSmtpMailer(settings.mail);
  const metrics = createMetrics({ outboxStats: () => outbox.stats() });
  const hasher = metrics.timeHasher(
    createPasswordHasher(settings.passwordHashing, {
      maxConcurrent: settings.passwordHashConcurrency,
      maxWaiting: settings.passwordHashQueueLimit,
    }),
  );
  const throttle = (name: string, limit: number) =>
    createThrottle({ claims, name, limit, windowSeconds: settings.throttling.windowSeconds });

  let worker: OutboxWorker | undefined;
  const onEmailQueued = () => worker?.notify();
  const users = createUserService({
    users: userRepository,
    outbox,
    claims,
    hasher,
    codeKey: keys.codeHashing,
    activationExpirationMinutes: settings.activationExpirationMinutes,
    resendCooldownSeconds: settings.activationResendCooldownSeconds,
    onEmailQueued,
  });
  const management = createManagementService({
    users: userRepository,
    outbox,
    claims,
    codeKey: keys.codeHashing,
    codeLifetimeMinutes: settings.activationExpirationMinutes,
    cooldownSeconds: settings.activationResendCooldownSeconds,
    resetTokens,
    onEmailQueued,
  });
  const mfa = createMfaService({
    users: userRepository,
    claims,
    throttle: throttle("mfa", settings.throttling.maxMfaFailures),
    encryptionKey: keys.encryption,
    codeKey: keys.codeHashing,
    issuer: settings.mfaIssuer,
  });
  const background = new Set<Promise<void>>();
  const auth = createAuthService({
    users: userRepository,
    resetTokens,
    outbox,
    claims,
    hasher,
    codeKey: keys.codeHashing,
    throttles: {
      account: throttle("password", settings.throttling.maxFailures),
      // Without a trusted proxy the "client" is the calling service: no per-IP throttling.
      ip: settings.trustProxy ? throttle("password-ip", settings.throttling.maxFailuresPerIp) : null,
    },
    reset: {
      url: settings.resetPassword.url,
      expirationMinutes: settings.resetPasswordExpirationMinutes,
      cooldownSeconds: settings.resetPassword.cooldownSeconds,
    },
    onEmailQueued,
    verifySecondFactor: (user, code) => mfa.verifySecondFactor(user, code),
    runInBackground: (task) => {
      const running = task()
        .catch((error: unknown) => logger.error({ err: error }, "background task failed"))
        .finally(() => background.delete(running));
      background.add(running);
    },
  });
  // Whether a queued email is still wanted when its turn comes, by kind (others: always).
  const judges: Record<string, (message: ClaimedMessage) => Promise<MessageVerdict>> = {
    [activationEmailKind]: (message) => users.judgeActivationEmail(message),
    [emailChangeKind]: (message) => management.judgeEmailChange(message),
    // A reset link only ever goes to the current address.
    "password-reset": (message) => users.judgeRecipient(message),
  };
  worker = createOutboxWorker({
    outbox,
    mailer,
    ...settings.outbox,
    judge: async (message) => judges[message.kind]?.(message) ?? "send",
    onEvent: (event) => {
      if (event.type === "error") logger.warn({ err: event.error }, "outbox: cannot reach the database");
      else if (event.type === "retry") logger.warn(event, "outbox: send failed, will retry");
      else if (event.type === "failed") logger.error(event, "outbox: giving up on a message");
      else logger.debug(event, `outbox: ${event.type}`);
    },
  });
  const outboxWorker = worker;
  let sweeper: NodeJS.Timeout | undefined;

  return {
    connection,
    metrics,
    outboxWorker,
    services: {
      users,
      auth,
      mfa,
      management,
      health: createHealthService({ connection, outbox, timeoutMs: settings.mongodb.timeoutMs }),
    },
    /**
     * Starts the background work of this process: email delivery, and every minute the
     * claims sweep and the purge of finished outbox messages past their retention.
     */
    startBackgroundWork() {
      outboxWorker.start();
      const retentionMs = settings.outbox.retentionDays * 86_400_000;
      sweeper ??= setInterval(() => {
        claims.sweep().catch((error: unknown) => logger.warn({ err: error }, "claims sweep failed"));
        outbox
          .purgeFinished(new Date(Date.now() - retentionMs))
          .catch((error: unknown) => logger.warn({ err: error }, "outbox purge failed"));
      }, 60_000);
      sweeper.unref();
    },
    /** Finishes background work (the message in hand, pending background tasks), then disconnects. */
    async close() {
      clearInterval(sweeper);
      await Promise.all(background);
      await outboxWorker.stop();
      mailer.close();
      await connection.close();
    },
  };
}

/** The database may start after us (compose, CI): retry for a while, then fail clearly. */
function connectWithRetry(settings: Settings, logger: Logger): Promise<Connection> {
  return retry(settings, logger, "connecting", () => connectDatabase(settings.mongodb));
}

async function retry<T>(
  settings: Settings,
  logger: Logger,
  what: string,
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(
          `Database at ${redactUri(settings.mongodb.uri)} failed while ${what}: ${String(error)}`,
        );
      }
      logger.warn({ uri: redactUri(settings.mongodb.uri) }, `database not ready (${what}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, "//***@");
}

import type { Settings } from "@usersvc/config";
import {
  claimKeys,
  connectDatabase,
  createActivateUser,
  createChangePassword,
  createCheckCredentials,
  createClaimStore,
  createCodeChecker,
  createConfirmEmailChange,
  createDeleteUser,
  createDisableMfa,
  createEmailOutbox,
  createForgotPassword,
  createGetActiveUserByIdentifier,
  createGetUserById,
  createHealthService,
  createListUsers,
  createLoginAttempts,
  createMfaEnrolment,
  createOutboxRepository,
  createOutboxWorker,
  createPasswordHasher,
  createRegisterUser,
  createReplacePassword,
  createRequestEmailChange,
  createResendActivation,
  createResetPassword,
  createResetTokenRepository,
  createRevertEmailChange,
  createSecondFactor,
  createSmtpMailer,
  createStepUp,
  createThrottle,
  createUpdateProfile,
  createUserRepository,
  deriveKeys,
  maxCodeTriesPerDay,
  type UseCases,
} from "@usersvc/core";
import type { Logger } from "./logger";
import { createMetrics } from "./metrics";

export type Container = Awaited<ReturnType<typeof createContainer>>;

/**
 * The composition root: settings -> database -> repositories -> use cases (and the outbox
 * worker). Everything but HTTP, so that an API process and a worker-only process build the
 * same graph. Wiring only: every rule lives in core.
 */
export async function createContainer(settings: Settings, logger: Logger) {
  const connection = await retry(settings, logger, "connecting", () => connectDatabase(settings.mongodb));
  const keys = deriveKeys(settings.secretKey);
  const users = createUserRepository(connection);
  const claims = createClaimStore(connection);
  const store = createOutboxRepository({ connection, claims, encryptionKey: keys.encryption });
  const resetTokens = createResetTokenRepository(connection);
  // A fresh replica set may still be electing: index creation is retried like the connection.
  await retry(settings, logger, "creating indexes", () =>
    Promise.all([users, store, claims, resetTokens].map((repository) => repository.ensureIndexes())),
  );
  const mailer = createSmtpMailer(settings.mail);
  const outbox = createEmailOutbox(store);
  const metrics = createMetrics({ outboxStats: () => store.stats() });
  const { memoryCost, timeCost, parallelism, concurrency, queueLimit } = settings.passwordHashing;
  const hasher = metrics.timeHasher(
    createPasswordHasher(
      { memoryCost, timeCost, parallelism },
      { maxConcurrent: concurrency, maxWaiting: queueLimit },
    ),
  );
  const { loginThrottle } = settings;
  const throttle = (name: string, limit: number) =>
    createThrottle({ claims, name, limit, windowSeconds: loginThrottle.windowSeconds });
  const codeKey = keys.codeHashing;
  // Code tries per account per day, activation and email change together.
  const daily = createThrottle({ claims, name: "codes", limit: maxCodeTriesPerDay, windowSeconds: 86_400 });
  const activationCodes = createCodeChecker({ claims, codeKey, keyOf: claimKeys.activationCode, daily });
  const emailChangeCodes = createCodeChecker({ claims, codeKey, keyOf: claimKeys.emailChangeCode, daily });
  const attempts = createLoginAttempts({
    hasher,
    throttles: {
      account: throttle("password", loginThrottle.maxFailures),
      // Without a trusted proxy the "client" is the calling service: no per-IP throttling.
      ip: settings.http.trustProxy ? throttle("password-ip", loginThrottle.maxFailuresPerIp) : null,
    },
  });
  const secondFactor = createSecondFactor({
    users,
    claims,
    throttle: throttle("mfa", loginThrottle.maxMfaFailures),
    encryptionKey: keys.encryption,
    codeKey,
  });
  const replacePassword = createReplacePassword({ users, resetTokens, attempts, outbox });
  const stepUp = createStepUp({ attempts, hasher, secondFactor });
  const background = new Set<Promise<void>>();
  const { activation, passwordReset, emailChange } = settings;

  const useCases: UseCases = {
    registerUser: createRegisterUser({
      users,
      outbox,
      hasher,
      codes: activationCodes,
      codeLifetimeMinutes: activation.codeLifetimeMinutes,
      activationUrl: activation.url,
    }),
    activateUser: createActivateUser({ users, codes: activationCodes }),
    resendActivation: createResendActivation({
      users,
      outbox,
      codes: activationCodes,
      codeLifetimeMinutes: activation.codeLifetimeMinutes,
      activationUrl: activation.url,
      cooldownSeconds: activation.resendCooldownSeconds,
    }),
    getUserById: createGetUserById({ users }),
    getActiveUserByIdentifier: createGetActiveUserByIdentifier({ users }),
    deleteUser: createDeleteUser({ users, outbox, claims }),
    listUsers: createListUsers({ users }),
    updateProfile: createUpdateProfile({ users }),
    checkCredentials: createCheckCredentials({ users, attempts, hasher, secondFactor }),
    forgotPassword: createForgotPassword({
      users,
      resetTokens,
      outbox,
      claims,
      codeKey,
      reset: passwordReset,
      runInBackground: (task) => {
        const running = task()
          .catch((error: unknown) => logger.error({ err: error }, "background task failed"))
          .finally(() => background.delete(running));
        background.add(running);
      },
    }),
    resetPassword: createResetPassword({ users, resetTokens, claims, hasher, codeKey, replacePassword }),
    changePassword: createChangePassword({ users, attempts, hasher, secondFactor, replacePassword }),
    mfaEnrolment: createMfaEnrolment({
      users,
      claims,
      secondFactor,
      stepUp,
      outbox,
      encryptionKey: keys.encryption,
      codeKey,
      issuer: settings.mfa.issuer,
    }),
    disableMfa: createDisableMfa({ users, secondFactor, stepUp, outbox }),
    requestEmailChange: createRequestEmailChange({
      users,
      outbox,
      codes: emailChangeCodes,
      stepUp,
      codeLifetimeMinutes: activation.codeLifetimeMinutes,
      confirmUrl: emailChange.confirmUrl,
      cooldownSeconds: activation.resendCooldownSeconds,
    }),
    confirmEmailChange: createConfirmEmailChange({
      users,
      outbox,
      codes: emailChangeCodes,
      resetTokens,
      codeKey,
      revertUrl: emailChange.revertUrl,
    }),
    revertEmailChange: createRevertEmailChange({ users, claims, resetTokens, outbox, codeKey }),
  };

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

  return {
    connection,
    metrics,
    useCases,
    health: createHealthService({ connection, outbox: store, timeoutMs: settings.mongodb.timeoutMs }),
    /**
     * Starts the background work of this process: email delivery, and every minute the
     * claims sweep and the purge of finished outbox messages past their retention.
     */
    startBackgroundWork() {
      worker.start();
      const retentionMs = settings.outbox.retentionDays * 86_400_000;
      sweeper ??= setInterval(() => {
        claims.sweep().catch((error: unknown) => logger.warn({ err: error }, "claims sweep failed"));
        store
          .purgeFinished(new Date(Date.now() - retentionMs))
          .catch((error: unknown) => logger.warn({ err: error }, "outbox purge failed"));
      }, 60_000);
      sweeper.unref();
    },
    /** Finishes background work (the message in hand, pending background tasks), then disconnects. */
    async close() {
      clearInterval(sweeper);
      await Promise.all(background);
      await worker.stop();
      mailer.close();
      await connection.close();
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

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
  createHashSuccession,
  createHealthService,
  createImportUsers,
  createKeyring,
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
  createThrottleLockStore,
  createUpdateProfile,
  createUserRepository,
  maxCodeTriesPerDay,
  maxLockSeconds,
  type RunInBackground,
  type UseCases,
} from "@usersvc/core";
import type { Logger } from "./logger";
import { createMetrics } from "./metrics";

export type Container = Awaited<ReturnType<typeof createContainer>>;

/** The ports a test may wrap (fault injection): the container's MongoDB adapters. */
export type PortName = "users" | "claims" | "outbox" | "resetTokens";

export type ContainerOptions = {
  /** Tests only: wraps each MongoDB adapter before anything uses it. */
  decoratePorts?: <T extends object>(name: PortName, port: T) => T;
};

/**
 * The composition root: settings -> database -> repositories -> use cases (and the outbox
 * worker). Everything but HTTP, so that an API process and a worker-only process build the
 * same graph. Wiring only: every rule lives in core.
 */
export async function createContainer(settings: Settings, logger: Logger, options: ContainerOptions = {}) {
  const decorate = options.decoratePorts ?? (<T extends object>(_name: PortName, port: T) => port);
  const connection = await retry(settings, logger, "connecting", () => connectDatabase(settings.mongodb));
  const keys = createKeyring({ current: settings.secretKey, previous: settings.previousSecretKeys });
  const users = decorate("users", createUserRepository(connection));
  const writeConcern = settings.mongodb.claimsWriteConcern;
  const claims = decorate("claims", createClaimStore(connection, { writeConcern }));
  const locks = createThrottleLockStore(connection, { writeConcern });
  const store = decorate("outbox", createOutboxRepository({ connection, claims, keys }));
  const resetTokens = decorate("resetTokens", createResetTokenRepository(connection));
  // A fresh replica set may still be electing: index creation is retried like the connection.
  await retry(settings, logger, "creating indexes", () =>
    Promise.all([users, store, claims, locks, resetTokens].map((repository) => repository.ensureIndexes())),
  );
  if (settings.mail.credentialsMayGoInClear) {
    logger.warn(
      { host: settings.mail.host, port: settings.mail.port },
      "SMTP credentials may be sent in clear text: the server is not required to offer STARTTLS (set MAIL_USE_TLS=true, or MAIL_USE_SSL=true)",
    );
  }
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
  // Account locks double per consecutive lock, up to 24 h; a series is forgotten after a
  // quiet day or at the next right password. Per-IP locks last to the window's end.
  const escalation = { maxSeconds: maxLockSeconds, memorySeconds: 86_400 };
  const throttle = (name: string, limit: number, escalate: boolean) =>
    createThrottle({
      claims,
      locks,
      name,
      limit,
      windowSeconds: loginThrottle.windowSeconds,
      ...(escalate ? { escalation } : {}),
    });
  const background = new Set<Promise<void>>();
  const runInBackground: RunInBackground = (task) => {
    const running = task()
      .catch((error: unknown) => logger.error({ err: error }, "background task failed"))
      .finally(() => background.delete(running));
    background.add(running);
  };
  // Code tries per account per day, activation and email change together.
  const daily = createThrottle({
    claims,
    locks,
    name: "codes",
    limit: maxCodeTriesPerDay,
    windowSeconds: 86_400,
  });
  const activationCodes = createCodeChecker({ claims, keys, keyOf: claimKeys.activationCode, daily });
  const emailChangeCodes = createCodeChecker({ claims, keys, keyOf: claimKeys.emailChangeCode, daily });
  const attempts = createLoginAttempts({
    hasher,
    outbox,
    runInBackground,
    throttles: {
      account: throttle("password", loginThrottle.maxFailures, true),
      // Without a trusted proxy the "client" is the calling service: no per-IP throttling.
      ip: settings.http.trustProxy ? throttle("password-ip", loginThrottle.maxFailuresPerIp, false) : null,
    },
  });
  const secondFactor = createSecondFactor({
    users,
    claims,
    outbox,
    throttle: throttle("mfa", loginThrottle.maxMfaFailures, true),
    keys,
  });
  const succession = createHashSuccession({ claims, users });
  const replacePassword = createReplacePassword({ users, succession, resetTokens, attempts, outbox });
  const stepUp = createStepUp({ attempts, hasher, secondFactor });
  const { activation, passwordReset, emailChange } = settings;

  const useCases: UseCases = {
    registerUser: createRegisterUser({
      users,
      claims,
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
    deleteUser: createDeleteUser({ users, outbox, claims, resetTokens }),
    listUsers: createListUsers({ users }),
    updateProfile: createUpdateProfile({ users }),
    checkCredentials: createCheckCredentials({ users, attempts, hasher, secondFactor, succession }),
    forgotPassword: createForgotPassword({
      users,
      resetTokens,
      outbox,
      claims,
      keys,
      reset: passwordReset,
      runInBackground,
    }),
    resetPassword: createResetPassword({ users, resetTokens, claims, hasher, keys, replacePassword }),
    changePassword: createChangePassword({ users, attempts, hasher, secondFactor, replacePassword }),
    mfaEnrolment: createMfaEnrolment({
      users,
      claims,
      secondFactor,
      keys,
      stepUp,
      outbox,
      issuer: settings.mfa.issuer,
    }),
    disableMfa: createDisableMfa({ users, secondFactor, stepUp, outbox }),
    requestEmailChange: createRequestEmailChange({
      users,
      claims,
      outbox,
      codes: emailChangeCodes,
      stepUp,
      codeLifetimeMinutes: activation.codeLifetimeMinutes,
      confirmUrl: emailChange.confirmUrl,
      cooldownSeconds: activation.resendCooldownSeconds,
    }),
    confirmEmailChange: createConfirmEmailChange({
      users,
      claims,
      outbox,
      codes: emailChangeCodes,
      resetTokens,
      keys,
      revertUrl: emailChange.revertUrl,
    }),
    revertEmailChange: createRevertEmailChange({ users, claims, resetTokens, outbox, keys }),
    importUsers: createImportUsers({ users, keys }),
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
    ]).then(() => {});

  return {
    connection,
    metrics,
    useCases,
    health: createHealthService({ connection, outbox: store, timeoutMs: settings.mongodb.timeoutMs }),
    /**
     * One pass of the minutely housekeeping: the claims sweep, the purge of finished outbox
     * messages past their retention and the purge of expired reset links. Never throws.
     */
    sweep,
    /** Starts the background work of this process: email delivery, and `sweep` every minute. */
    startBackgroundWork() {
      worker.start();
      sweeper ??= setInterval(() => void sweep(), 60_000);
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

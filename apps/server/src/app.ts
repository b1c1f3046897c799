import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Settings } from "@usersvc/config";
import {
  activationEmailKind,
  connectDatabase,
  createAuthService,
  createClaimStore,
  createHealthService,
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
  type OutboxWorker,
} from "@usersvc/core";
import type { Connection } from "mongoose";
import { createApiKeyVerifier } from "./auth";
import { createContextFactory } from "./context";
import { createRequestListener } from "./http/listener";
import type { Logger } from "./logger";
import { createOpenApiDocument } from "./openapi";
import { type AppRouter, createAppRouter } from "./router";
import { version } from "./version";

export type App = {
  server: http.Server;
  router: AppRouter;
  connection: Connection;
  outboxWorker: OutboxWorker;
  /** Starts listening and the outbox worker; resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops accepting connections, waits for in-flight requests, closes the database. */
  close(): Promise<void>;
};

/**
 * The composition root: settings -> database -> repositories -> services -> router -> HTTP.
 * Tests build the very same graph with test settings.
 */
export async function createApp(settings: Settings, logger: Logger): Promise<App> {
  const connection = await connectWithRetry(settings, logger);
  const keys = deriveKeys(settings.secretKey);
  const userRepository = createUserRepository(connection);
  const claims = createClaimStore(connection);
  const outbox = createOutboxRepository({ connection, claims, encryptionKey: keys.encryption });
  const resetTokens = createResetTokenRepository(connection);
  await Promise.all(
    [userRepository, outbox, claims, resetTokens].map((repository) => repository.ensureIndexes()),
  );
  const mailer = createSmtpMailer(settings.mail);

  let outboxWorker: OutboxWorker | undefined;
  const hasher = createPasswordHasher(settings.passwordHashing);
  const users = createUserService({
    users: userRepository,
    outbox,
    claims,
    hasher,
    codeKey: keys.codeHashing,
    activationExpirationMinutes: settings.activationExpirationMinutes,
    resendCooldownSeconds: settings.activationResendCooldownSeconds,
    onEmailQueued: () => outboxWorker?.notify(),
  });
  outboxWorker = createOutboxWorker({
    outbox,
    mailer,
    ...settings.outbox,
    judge: async (message) =>
      message.kind === activationEmailKind ? users.judgeActivationEmail(message) : "send",
    onEvent: (event) => {
      if (event.type === "error") logger.warn({ err: event.error }, "outbox: cannot reach the database");
      else if (event.type === "retry") logger.warn(event, "outbox: send failed, will retry");
      else if (event.type === "failed") logger.error(event, "outbox: giving up on a message");
      else logger.debug(event, `outbox: ${event.type}`);
    },
  });
  const worker = outboxWorker;

  const throttle = (name: string, limit: number) =>
    createThrottle({ claims, name, limit, windowSeconds: settings.throttling.windowSeconds });
  const background = new Set<Promise<void>>();
  const mfa = createMfaService({
    users: userRepository,
    claims,
    throttle: throttle("mfa", settings.throttling.maxMfaFailures),
    encryptionKey: keys.encryption,
    codeKey: keys.codeHashing,
    issuer: settings.mfaIssuer,
  });
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
    onEmailQueued: () => outboxWorker?.notify(),
    verifySecondFactor: (user, code) => mfa.verifySecondFactor(user, code),
    runInBackground: (task) => {
      const running = task()
        .catch((error: unknown) => logger.error({ err: error }, "background task failed"))
        .finally(() => background.delete(running));
      background.add(running);
    },
  });
  const sweeper = setInterval(() => {
    claims.sweep().catch((error: unknown) => logger.warn({ err: error }, "claims sweep failed"));
  }, 60_000);
  sweeper.unref();

  const router = createAppRouter({
    isAuthorized: createApiKeyVerifier(settings.auth),
    health: createHealthService({ connection, timeoutMs: settings.mongodb.timeoutMs }),
    users,
    auth,
    mfa,
  });
  const server = http.createServer(
    createRequestListener({
      router,
      createContext: createContextFactory({ trustProxy: settings.trustProxy }),
      openApiDocument: createOpenApiDocument(router, version),
      logger,
      bodyLimitBytes: settings.http.bodyLimitBytes,
    }),
  );
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  return {
    server,
    router,
    connection,
    outboxWorker: worker,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(settings.http.port, settings.http.host, () => {
          const { port } = server.address() as AddressInfo;
          worker.start();
          resolve(`http://${settings.http.host}:${port}`);
        });
      }),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearInterval(sweeper);
      await Promise.all(background);
      await worker.stop();
      mailer.close();
      await connection.close();
    },
  };
}

/** The database may start after us (compose, CI): retry for a while, then fail clearly. */
async function connectWithRetry(settings: Settings, logger: Logger): Promise<Connection> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await connectDatabase(settings.mongodb);
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`Cannot reach the database at ${redactUri(settings.mongodb.uri)}: ${String(error)}`);
      }
      logger.warn({ uri: redactUri(settings.mongodb.uri) }, "database not reachable yet; retrying");
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, "//***@");
}

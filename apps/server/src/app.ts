import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Settings } from "@usersvc/config";
import { connectDatabase, createHealthService, createUserRepository, createUserService } from "@usersvc/core";
import type { Connection } from "mongoose";
import { createApiKeyVerifier } from "./auth";
import { createRequestListener } from "./http/listener";
import type { Logger } from "./logger";
import { createOpenApiDocument } from "./openapi";
import { type AppRouter, createAppRouter } from "./router";
import { version } from "./version";

export type App = {
  server: http.Server;
  router: AppRouter;
  connection: Connection;
  /** Starts listening; resolves with the base URL. */
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
  const userRepository = createUserRepository(connection);
  await userRepository.ensureIndexes();

  const router = createAppRouter({
    isAuthorized: createApiKeyVerifier(settings.auth),
    health: createHealthService({ connection, timeoutMs: settings.mongodb.timeoutMs }),
    users: createUserService({ users: userRepository }),
  });
  const server = http.createServer(
    createRequestListener({
      router,
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
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(settings.http.port, settings.http.host, () => {
          const { port } = server.address() as AddressInfo;
          resolve(`http://${settings.http.host}:${port}`);
        });
      }),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
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

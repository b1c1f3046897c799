import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Settings } from "@usersvc/config";
import type { Connection } from "mongoose";
import { createApiKeyAuthenticator, createCallerResolver, metricsAccess } from "./api-keys";
import { type Container, type ContainerOptions, createContainer } from "./container";
import { createContextFactory } from "./context";
import { createRequestListener, type ListenerOptions } from "./http/listener";
import type { Logger } from "./logger";
import { createOpenApiDocument } from "./openapi";
import { type AppRouter, createAppRouter } from "./router";
import { version } from "./version";

export type App = {
  server: http.Server;
  router: AppRouter;
  connection: Connection;
  container: Container;
  /** Starts listening (and, unless `worker: false`, the outbox worker); resolves with the base URL. */
  listen(options?: { worker?: boolean }): Promise<string>;
  /**
   * Stops accepting connections, lets in-flight requests finish (closing the rest after
   * SHUTDOWN_TIMEOUT_MS), finishes background work, closes the database.
   */
  close(): Promise<void>;
};

/** Builds the request listener; the benchmark passes other HTTP layers to compare them. */
export type ListenerFactory = (
  options: ListenerOptions,
) => http.RequestListener | Promise<http.RequestListener>;

/** The composition root of an API process: the container plus HTTP. Tests build the same. */
export async function createApp(
  settings: Settings,
  logger: Logger,
  options: { createListener?: ListenerFactory } & ContainerOptions = {},
): Promise<App> {
  const createListener = options.createListener ?? createRequestListener;
  const container = await createContainer(settings, logger, options);
  const callerOf = createCallerResolver(
    createApiKeyAuthenticator({ keys: settings.apiKeys.keys, disabled: settings.apiKeys.disabled }),
  );
  const router = createAppRouter({ health: container.health, useCases: container.useCases });
  const lifecycle = { draining: false, inFlight: 0 };
  const server = http.createServer(
    await createListener({
      router,
      createContext: createContextFactory({ trustProxy: settings.http.trustProxy, callerOf }),
      openApiDocument: createOpenApiDocument(router, version),
      // A designer's preview of the emails: never mounted in production.
      emailPreview: settings.environment === "production" ? undefined : container.emailPreview,
      logger,
      metrics: container.metrics,
      callerOf,
      // METRICS_TOKEN, or else a key holding `admin`: the request counts name every caller's key.
      metricsAccess: metricsAccess(settings.apiKeys.metricsToken, callerOf),
      corsOrigins: settings.http.corsOrigins,
      bodyLimitBytes: settings.http.bodyLimitBytes,
      lifecycle,
    }),
  );
  server.requestTimeout = settings.http.requestTimeoutMs;
  server.headersTimeout = Math.min(10_000, settings.http.requestTimeoutMs);
  server.keepAliveTimeout = 5_000;

  return {
    server,
    router,
    connection: container.connection,
    container,
    listen: ({ worker = true } = {}) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(settings.http.port, settings.http.host, () => {
          const { port } = server.address() as AddressInfo;
          if (worker) container.startBackgroundWork();
          resolve(`http://${settings.http.host}:${port}`);
        });
      }),
    async close() {
      lifecycle.draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections close as soon as their request is answered...
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      // ...and whatever is still running after the grace period is cut.
      const deadline = Date.now() + settings.http.shutdownTimeoutMs;
      const timer = setTimeout(() => server.closeAllConnections(), settings.http.shutdownTimeoutMs);
      await closed;
      // A client may hang up while its request is still being worked on: let that work end
      // before the database goes away (within the same grace period).
      while (lifecycle.inFlight > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      clearInterval(idle);
      clearTimeout(timer);
      await container.close();
    },
  };
}

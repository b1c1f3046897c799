/**
 * Prototype for the HTTP-layer comparison (issue 14.7): the same service on Hono
 * (`@hono/node-server`, tRPC's fetch adapter, trpc-to-openapi's fetch handler) with Hono's
 * own CORS, secure-headers and body-limit middleware. Only what the benchmark needs to be a
 * fair comparison (per-request logging, request id, metrics, headers, both dialects).
 */
import type { IncomingMessage, RequestListener } from "node:http";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { createOpenApiFetchHandler } from "trpc-to-openapi";
import { describeError } from "../../src/errors";
import type { ListenerOptions } from "../../src/http/listener";
import { assignRequestId } from "../../src/http/middleware";
import { createRouteLabeler } from "../../src/http/routes";
import { createHttpLogger } from "../../src/logger";
import { errorHeaders, restResponseMeta } from "./meta";

export function createHonoListener(options: ListenerOptions): RequestListener {
  const { metrics, router } = options;
  const httpLogger = createHttpLogger(options.logger, assignRequestId);
  const routeOf = createRouteLabeler({
    openApiDocument: options.openApiDocument,
    procedures: Object.keys(router._def.procedures),
  });
  const context = (incoming: IncomingMessage) => () => options.createContext(incoming);
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.use(async (c, next) => {
    const { incoming: req, outgoing: res } = c.env;
    const started = process.hrtime.bigint();
    const route = routeOf(c.req.path);
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest({ route, method: req.method ?? "GET", status: res.statusCode }, seconds);
    });
    httpLogger(req, res);
    await next();
  });
  app.use(
    secureHeaders({
      xFrameOptions: "DENY",
      referrerPolicy: "no-referrer",
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    }),
  );
  if (options.corsOrigins.length > 0) app.use(cors({ origin: [...options.corsOrigins] }));
  app.use(bodyLimit({ maxSize: options.bodyLimitBytes }));
  app.all("/trpc/*", (c) =>
    fetchRequestHandler({
      endpoint: "/trpc",
      req: c.req.raw,
      router,
      createContext: context(c.env.incoming),
      responseMeta: errorHeaders,
      onError: ({ error, path }) => metrics.countError(path, describeError(error).code),
    }),
  );
  app.all("/api/*", (c) =>
    createOpenApiFetchHandler({
      endpoint: "/api",
      req: c.req.raw,
      router,
      createContext: context(c.env.incoming),
      responseMeta: restResponseMeta,
      onError: ({ error, path }) => metrics.countError(path, describeError(error).code),
    }),
  );
  return getRequestListener(app.fetch) as RequestListener;
}

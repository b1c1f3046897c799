import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { TRPCError } from "@trpc/server";
import { internal_exceptionHandler, nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import type { OpenAPIObject } from "trpc-to-openapi";
import type { ContextFactory, RequestContext } from "../context";
import { describeError } from "../errors";
import type { Logger } from "../logger";
import { createHttpLogger } from "../logger";
import type { Metrics } from "../metrics";
import type { AppRouter } from "../router";
import { declaresTooLarge, readBody } from "./body";
import { applyCors } from "./cors";
import { serveDocs } from "./docs";
import { sendError } from "./respond";
import { errorHeaders } from "./response-meta";
import { createRestHandler } from "./rest";
import { createRouteLabeler } from "./routes";

export type ListenerOptions = {
  router: AppRouter;
  createContext: ContextFactory;
  openApiDocument: OpenAPIObject;
  logger: Logger;
  metrics: Metrics;
  /** Checks the bearer token of /metrics (METRICS_TOKEN, or else an API key). */
  isMetricsAuthorized: (authorization: string | undefined) => boolean;
  corsOrigins: readonly string[];
  bodyLimitBytes: number;
  /** Shared with the app: `draining` while shutting down; `inFlight` handlers still running. */
  lifecycle: { draining: boolean; inFlight: number };
};

/**
 * Routes every request: `/trpc/*` to tRPC, `/api/openapi.json` and `/api/docs*` to the
 * spec and docs page, other `/api/*` to the REST adapter, `/metrics` to Prometheus (with
 * the API key), and anything else to a JSON 404. Every response gets security headers and
 * is counted in the metrics.
 */
export function createRequestListener(options: ListenerOptions): RequestListener {
  const { logger, bodyLimitBytes: limit } = options;
  const httpLogger = createHttpLogger(logger);
  const { metrics } = options;
  const onProcedureError = (error: TRPCError, req: IncomingMessage, path: string | undefined) => {
    const described = describeError(error);
    metrics.countError(path, described.code);
    if (described.httpStatus < 500) return;
    const cause = error.cause instanceof Error ? error.cause : error;
    logger.error({ err: cause, reqId: (req as IncomingMessage & { id?: unknown }).id }, "request failed");
  };
  const trpcOptions = {
    router: options.router,
    maxBodySize: limit,
    createContext: ({ req }: { req: IncomingMessage }): RequestContext => options.createContext(req),
    responseMeta: errorHeaders,
    onError: ({ error, req, path }: { error: TRPCError; req: IncomingMessage; path: string | undefined }) =>
      onProcedureError(error, req, path),
  };
  /** tRPC's node handler, awaited (so in-flight work is counted until it really ends). */
  const trpc = (req: IncomingMessage, res: ServerResponse, pathname: string) =>
    nodeHTTPRequestHandler({ ...trpcOptions, req, res, path: pathname.slice("/trpc/".length) }).catch(
      internal_exceptionHandler({ ...trpcOptions, req, res, path: pathname.slice("/trpc/".length) }),
    );
  const rest = createRestHandler({
    router: options.router,
    createContext: options.createContext,
    onError: onProcedureError,
  });
  const spec = JSON.stringify(options.openApiDocument);
  const methodsOf = new Map(
    Object.entries(options.openApiDocument.paths ?? {}).map(([path, item]) => [
      path,
      Object.keys(item ?? {}).map((method) => method.toUpperCase()),
    ]),
  );
  const routeOf = createRouteLabeler({
    openApiDocument: options.openApiDocument,
    procedures: Object.keys(options.router._def.procedures),
  });

  const handle = async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    const url = req.url ?? "/";
    const pathname = url.split("?", 1)[0] ?? "/";
    if (applyCors(req, res, options.corsOrigins)) return;
    if (declaresTooLarge(req, limit)) return tooLarge(res, limit);
    if (pathname === "/metrics") {
      if (!options.isMetricsAuthorized(req.headers.authorization)) {
        return sendError(res, 401, {
          code: "INVALID_API_KEY",
          message: "/metrics needs 'Authorization: Bearer <key>'.",
        });
      }
      const text = await metrics.registry.metrics();
      res.setHeader("Content-Type", metrics.registry.contentType);
      res.end(text);
      return;
    }
    if (pathname === "/trpc" || pathname.startsWith("/trpc/")) return trpc(req, res, pathname);
    if (pathname === "/api/openapi.json") {
      res.setHeader("Cache-Control", "no-cache");
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.end(spec);
      return;
    }
    if (pathname === "/api/docs" || pathname.startsWith("/api/docs/")) {
      if (await serveDocs(pathname.slice("/api/docs/".length), res)) return;
      return notFound(req, res, pathname);
    }
    if (pathname.startsWith("/api/")) {
      const body = await readBody(req, limit);
      if (body.kind === "too-large") return tooLarge(res, limit);
      if (body.kind === "malformed") {
        return sendError(res, 400, {
          code: "MALFORMED_JSON",
          message: `The request body is not valid JSON: ${body.message}`,
        });
      }
      if (body.kind === "json") req.body = body.value;
      else if (body.kind === "none") req.body = undefined;
      Object.assign(req, { originalUrl: url }); // keeps the full path in the request log
      req.url = url.slice("/api".length);
      return rest(req, res, () => {
        const allowed = methodsOf.get(pathname.slice("/api".length).replace(/\/+$/, "") || "/");
        if (!allowed) return notFound(req, res, pathname);
        res.setHeader("Allow", allowed.join(", "));
        sendError(res, 405, {
          code: "METHOD_NOT_ALLOWED",
          message: `${req.method ?? "GET"} is not allowed on ${pathname}; use ${allowed.join(", ")}.`,
        });
      });
    }
    return notFound(req, res, pathname);
  };

  return (req, res) => {
    const started = process.hrtime.bigint();
    const route = routeOf((req.url ?? "/").split("?", 1)[0] ?? "/");
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest({ route, method: req.method ?? "GET", status: res.statusCode }, seconds);
    });
    httpLogger(req, res);
    if (options.lifecycle.draining) res.setHeader("Connection", "close");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader(
      "Content-Security-Policy",
      route === "/api/docs"
        ? "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
        : "default-src 'none'; frame-ancestors 'none'",
    );
    options.lifecycle.inFlight++;
    handle(req, res)
      .catch((error: unknown) => {
        logger.error({ err: error }, "unhandled request error");
        if (!res.headersSent)
          sendError(res, 500, { code: "INTERNAL_ERROR", message: "Internal server error." });
        else res.destroy();
      })
      .finally(() => {
        options.lifecycle.inFlight--;
      });
  };
}

function notFound(req: IncomingMessage, res: ServerResponse, pathname: string): void {
  sendError(res, 404, {
    code: "ROUTE_NOT_FOUND",
    message: `No route for ${req.method ?? "GET"} ${pathname}; the API is described at /api/docs.`,
  });
}

function tooLarge(res: ServerResponse, limit: number): void {
  res.setHeader("Connection", "close");
  sendError(res, 413, {
    code: "PAYLOAD_TOO_LARGE",
    message: `The request body is larger than ${limit} bytes.`,
  });
}

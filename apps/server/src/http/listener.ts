import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { TRPCError } from "@trpc/server";
import { internal_exceptionHandler, nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import type { OpenAPIObject } from "trpc-to-openapi";
import type { CallerResolver, MetricsAccess } from "../api-keys";
import type { ContextFactory, RequestContext } from "../context";
import { describeError, describeTransportError, type ErrorDescription } from "../errors";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { AppRouter } from "../router";
import { importBodyLimitBytes, importPaths } from "../routers/import";
import { declaresTooLarge, readBody } from "./body";
import { applyCors } from "./cors";
import { serveDocs } from "./docs";
import { type EmailPreviewer, serveEmailPreview } from "./email-preview";
import { createRequestMiddleware } from "./middleware";
import { sendError } from "./respond";
import { createRestHandler } from "./rest";
import { createRouteLabeler } from "./routes";

export type ListenerOptions = {
  router: AppRouter;
  createContext: ContextFactory;
  openApiDocument: OpenAPIObject;
  logger: Logger;
  metrics: Metrics;
  /** Who may read /metrics (METRICS_TOKEN, or else an API key holding `admin`). */
  metricsAccess: MetricsAccess;
  /** Development only: renders every email kind for `/api/dev/emails` (undefined in production). */
  emailPreview?: EmailPreviewer | undefined;
  /**
   * The request's API key (name and scopes), once per request: on its log lines and metrics,
   * and checked before the import's larger body is read (only `admin` keys get it).
   */
  callerOf: CallerResolver;
  corsOrigins: readonly string[];
  bodyLimitBytes: number;
  /** Shared with the app: `draining` while shutting down; `inFlight` handlers still running. */
  lifecycle: { draining: boolean; inFlight: number };
};

/**
 * Routes every request: `/trpc/*` to tRPC, `/api/openapi.json` and `/api/docs*` to the
 * spec and docs page, other `/api/*` to the REST adapter, `/metrics` to Prometheus (with
 * the API key), and anything else to a JSON 404. Every request first goes through the
 * middleware (request id, log line, metrics, security headers).
 */
export function createRequestListener(options: ListenerOptions): RequestListener {
  const { logger, metrics, lifecycle, bodyLimitBytes: limit } = options;
  /** Counts and logs a failed procedure, from its one description; returns that description. */
  const onProcedureError = (error: TRPCError, req: IncomingMessage, path: string | undefined) => {
    const described = describeError(error);
    metrics.countError(path, described.code);
    if (described.httpStatus >= 500) {
      const cause = error.cause instanceof Error ? error.cause : error;
      const reqId = (req as IncomingMessage & { id?: unknown }).id;
      logger.error({ err: cause, reqId, apiKeyName: options.callerOf(req)?.name }, "request failed");
    }
    return described;
  };
  /**
   * The bulk import alone reads larger bodies (see routers/import.ts), and only for a caller
   * with a valid API key holding its `admin` scope (checked before reading); BODY_LIMIT_BYTES
   * bounds everything else.
   */
  const importLimit = Math.max(limit, importBodyLimitBytes);
  const limitOf = (pathname: string, req: IncomingMessage) =>
    (pathname === importPaths.rest || pathname === importPaths.trpc) &&
    options.callerOf(req)?.scopes.includes("admin") === true
      ? importLimit
      : limit;
  const trpcOptions = {
    router: options.router,
    maxBodySize: limit,
    createContext: ({ req }: { req: IncomingMessage }): RequestContext => options.createContext(req),
    /** Retry-After on errors that carry one (429, 503). */
    responseMeta: ({ errors }: { errors: readonly TRPCError[] }) => {
      const retryAfter = errors[0] && describeError(errors[0]).retryAfterSeconds;
      return retryAfter === undefined ? {} : { headers: { "Retry-After": String(retryAfter) } };
    },
    onError: ({ error, req, path }: { error: TRPCError; req: IncomingMessage; path: string | undefined }) =>
      void onProcedureError(error, req, path),
  };
  /** tRPC's node handler, awaited (so in-flight work is counted until it really ends). */
  const trpc = (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    const handlerOptions = {
      ...trpcOptions,
      maxBodySize: limitOf(pathname, req),
      req,
      res,
      path: pathname.slice("/trpc/".length),
    };
    return nodeHTTPRequestHandler(handlerOptions).catch(internal_exceptionHandler(handlerOptions));
  };
  const rest = createRestHandler({ ...options, onError: onProcedureError });
  const spec = JSON.stringify(options.openApiDocument);
  const methodsOf = new Map(
    Object.entries(options.openApiDocument.paths ?? {}).map(([path, item]) => [
      path,
      Object.keys(item ?? {}).map((method) => method.toUpperCase()),
    ]),
  );
  const middleware = createRequestMiddleware({
    logger,
    metrics,
    callerOf: options.callerOf,
    routeOf: createRouteLabeler({
      openApiDocument: options.openApiDocument,
      procedures: Object.keys(options.router._def.procedures),
    }),
    isDraining: () => lifecycle.draining,
  });
  const fail = (res: ServerResponse, error: ErrorDescription) => {
    if (error.code === "PAYLOAD_TOO_LARGE") res.setHeader("Connection", "close");
    sendError(res, error);
  };
  const notFound = (req: IncomingMessage, res: ServerResponse, pathname: string) =>
    fail(
      res,
      describeTransportError(
        "ROUTE_NOT_FOUND",
        `No route for ${req.method ?? "GET"} ${pathname}; the API is described at /api/docs.`,
      ),
    );
  const tooLarge = (bytes: number) =>
    describeTransportError("PAYLOAD_TOO_LARGE", `The request body is larger than ${bytes} bytes.`);

  const handle = async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    const url = req.url ?? "/";
    const pathname = url.split("?", 1)[0] ?? "/";
    if (applyCors(req, res, options.corsOrigins)) return;
    const bodyLimit = limitOf(pathname, req);
    if (declaresTooLarge(req, bodyLimit)) return fail(res, tooLarge(bodyLimit));
    if (pathname === "/metrics") {
      const access = options.metricsAccess(req);
      if (access === "unauthorized") {
        const message = "/metrics needs 'Authorization: Bearer <key>'.";
        return fail(res, describeTransportError("INVALID_API_KEY", message));
      }
      if (access === "forbidden") {
        const message = `The API key "${options.callerOf(req)?.name ?? ""}" lacks the scope "admin" that /metrics needs; use a key holding it (or METRICS_TOKEN).`;
        return fail(res, {
          ...describeTransportError("INSUFFICIENT_SCOPE", message),
          requiredScope: "admin",
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
    if (options.emailPreview && pathname.startsWith("/api/dev/emails")) {
      const query = new URLSearchParams(url.slice(pathname.length + 1));
      if (serveEmailPreview({ preview: options.emailPreview, pathname, query, res })) return;
      return notFound(req, res, pathname);
    }
    if (!pathname.startsWith("/api/")) return notFound(req, res, pathname);
    const body = await readBody(req, bodyLimit);
    if (body.kind === "too-large") return fail(res, tooLarge(bodyLimit));
    if (body.kind === "malformed") {
      const message = `The request body is not valid JSON: ${body.message}`;
      return fail(res, describeTransportError("MALFORMED_JSON", message));
    }
    // trpc-to-openapi spreads the body into the input: `null` or `[]` would become `{}`.
    const { method = "GET" } = req;
    if (body.kind === "json" && method !== "GET" && method !== "DELETE" && !isJsonObject(body.value)) {
      return fail(res, describeTransportError("VALIDATION_ERROR", "The request body must be a JSON object."));
    }
    if (body.kind === "json") req.body = body.value;
    else if (body.kind === "none") req.body = undefined;
    Object.assign(req, { originalUrl: url }); // keeps the full path in the request log
    req.url = url.slice("/api".length);
    return rest(req, res, () => {
      const allowed = methodsOf.get(pathname.slice("/api".length).replace(/\/+$/, "") || "/");
      if (!allowed) return notFound(req, res, pathname);
      res.setHeader("Allow", allowed.join(", "));
      const message = `${req.method ?? "GET"} is not allowed on ${pathname}; use ${allowed.join(", ")}.`;
      fail(res, describeTransportError("METHOD_NOT_ALLOWED", message));
    });
  };

  return (req, res) => {
    middleware(req, res);
    lifecycle.inFlight++;
    handle(req, res)
      .catch((error: unknown) => {
        logger.error({ err: error, apiKeyName: options.callerOf(req)?.name }, "unhandled request error");
        if (res.headersSent) res.destroy();
        else fail(res, describeTransportError("INTERNAL_ERROR", "Internal server error."));
      })
      .finally(() => {
        lifecycle.inFlight--;
      });
  };
}

const isJsonObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);

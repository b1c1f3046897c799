import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CallerResolver } from "../api-keys";
import type { Logger } from "../logger";
import { createHttpLogger } from "../logger";
import type { Metrics } from "../metrics";

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's X-Request-Id when it is sane, otherwise makes one; echoes it back. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers["x-request-id"];
  const id = typeof incoming === "string" && requestIdPattern.test(incoming) ? incoming : randomUUID();
  res.setHeader("X-Request-Id", id);
  return id;
}

const apiPolicy = "default-src 'none'; frame-ancestors 'none'";
const docsPolicy =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/**
 * What every request goes through before it is routed: a request id (`req.id`, echoed in
 * X-Request-Id), one log line, the request counted and timed under its route label and its
 * API key's name (never the key; "none" without a valid one), and the security headers.
 * While draining, responses close their connection.
 */
export function createRequestMiddleware(options: {
  logger: Logger;
  metrics: Metrics;
  /** The request's API key, whose name goes on its log lines and metrics. */
  callerOf: CallerResolver;
  /** The route label of a path (see routes.ts). */
  routeOf: (pathname: string) => string;
  isDraining: () => boolean;
}) {
  const { metrics, routeOf } = options;
  const logRequest = createHttpLogger(options.logger, assignRequestId, (req) => options.callerOf(req)?.name);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const route = routeOf((req.url ?? "/").split("?", 1)[0] ?? "/");
    const apiKey = options.callerOf(req)?.name ?? "none";
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest({ route, method: req.method ?? "GET", status: res.statusCode, apiKey }, seconds);
    });
    logRequest(req, res);
    if (options.isDraining()) res.setHeader("Connection", "close");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Content-Security-Policy", route === "/api/docs" ? docsPolicy : apiPolicy);
  };
}

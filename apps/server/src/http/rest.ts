import type { IncomingMessage, ServerResponse } from "node:http";
import type { TRPCError } from "@trpc/server";
import { createOpenApiNodeHttpHandler } from "trpc-to-openapi";
import type { ContextFactory, RequestContext } from "../context";
import { validationMessage } from "../errors";
import type { AppRouter } from "../router";
import type { ErrorData } from "../trpc";
import type { RestErrorBody } from "./respond";
import { restResponseMeta } from "./response-meta";

type OpenApiErrorBody = { message?: string; data?: Partial<ErrorData> };

/**
 * Rewrites trpc-to-openapi's error body to ours: `{ code, message, issues?, request_id }`.
 * Data a procedure answers with a 4xx/5xx status on purpose (health's 503) passes through.
 */
function toRestError(raw: string, requestId: string): string {
  const parsed = JSON.parse(raw) as OpenApiErrorBody;
  if (typeof parsed.data?.httpStatus !== "number") return raw;
  const body: RestErrorBody = {
    code: parsed.data?.code ?? "INTERNAL_ERROR",
    message:
      parsed.data?.code === "VALIDATION_ERROR" && parsed.data.issues
        ? validationMessage(parsed.data.issues)
        : (parsed.message ?? "Error"),
    ...(parsed.data?.issues && parsed.data.issues.length > 0 ? { issues: parsed.data.issues } : {}),
    request_id: requestId,
  };
  return JSON.stringify(body);
}

/**
 * The REST dialect: trpc-to-openapi's node handler, with error bodies rewritten and the
 * request body already read and parsed by us (it is on `req.body`).
 */
export function createRestHandler(options: {
  router: AppRouter;
  createContext: ContextFactory;
  onError: (error: TRPCError, req: IncomingMessage, path: string | undefined) => void;
}) {
  const handler = createOpenApiNodeHttpHandler({
    router: options.router,
    createContext: ({ req }): RequestContext => options.createContext(req),
    responseMeta: restResponseMeta,
    onError: ({ error, req, path }) => options.onError(error, req, path),
  });
  return (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: () => void) => {
    const requestId = String(res.getHeader("X-Request-Id") ?? "");
    const end = res.end.bind(res);
    const patched = new Proxy(res, {
      get(target, property) {
        if (property === "end") {
          return (chunk?: unknown) =>
            end(
              target.statusCode >= 400 && typeof chunk === "string" ? toRestError(chunk, requestId) : chunk,
            );
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return handler(req, patched, next);
  };
}

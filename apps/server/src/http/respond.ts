import type { ServerResponse } from "node:http";
import type { ErrorCode } from "../error-codes";
import type { ErrorDescription } from "../errors";
import type { ApiScope } from "../trpc";

/** The JSON body of every REST error. */
export type RestErrorBody = {
  code: ErrorCode;
  message: string;
  issues?: { path: string; message: string }[];
  /** INSUFFICIENT_SCOPE only: the scope the API key lacks. */
  required_scope?: ApiScope;
  request_id?: string;
};

/** Writes a JSON response (unless the client already got one). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(payload));
  res.end(payload);
}

/**
 * The one way a REST error is answered, from its description: status, Retry-After (429,
 * 503) and `{ code, message, issues?, required_scope?, request_id }`.
 */
export function sendError(res: ServerResponse, error: ErrorDescription): void {
  const requestId = res.getHeader("X-Request-Id");
  const body: RestErrorBody = {
    code: error.code,
    message: error.message,
    ...(error.issues.length > 0 ? { issues: error.issues } : {}),
    ...(error.requiredScope ? { required_scope: error.requiredScope } : {}),
    ...(typeof requestId === "string" ? { request_id: requestId } : {}),
  };
  const headers: Record<string, string> =
    error.retryAfterSeconds === undefined ? {} : { "Retry-After": String(error.retryAfterSeconds) };
  sendJson(res, error.httpStatus, body, headers);
}

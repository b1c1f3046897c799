import type { ServerResponse } from "node:http";
import type { ErrorCode } from "../error-codes";

/** The JSON body of every REST error. */
export type RestErrorBody = {
  code: ErrorCode;
  message: string;
  issues?: { path: string; message: string }[];
  request_id?: string;
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(payload));
  res.end(payload);
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: { code: ErrorCode; message: string },
): void {
  const requestId = res.getHeader("X-Request-Id");
  const body: RestErrorBody = {
    ...error,
    ...(typeof requestId === "string" ? { request_id: requestId } : {}),
  };
  sendJson(res, status, body);
}

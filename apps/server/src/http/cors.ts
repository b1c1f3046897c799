import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * CORS, off unless origins are configured. Allowed origins get the usual headers; a
 * preflight (OPTIONS with Access-Control-Request-Method) is answered here with 204.
 * Returns true when the request was fully answered.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origins.length === 0 || !origin) return false;
  const allowed = origins.includes("*") || origins.includes(origin);
  if (!allowed) return false;
  res.setHeader("Access-Control-Allow-Origin", origins.includes("*") ? "*" : origin);
  res.setHeader("Vary", "Origin");
  res.setHeader("Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
  if (req.method !== "OPTIONS" || !req.headers["access-control-request-method"]) return false;
  res.setHeader("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS");
  res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id");
  res.setHeader("Access-Control-Max-Age", "600");
  res.statusCode = 204;
  res.end();
  return true;
}

import type { IncomingMessage } from "node:http";
import type { ApiScope } from "./trpc";

/** Who called: the name of the API key (never the key) and the scopes it holds. */
export type ApiCaller = { name: string; scopes: readonly ApiScope[] };

/**
 * Per-request context. Plain data only: its type ends up in the SDK's `.d.ts`, so it must
 * not mention server libraries (see GOTCHAS.md).
 */
export type RequestContext = {
  requestId: string;
  /** The raw `Authorization` header. */
  authorization: string | undefined;
  /** The configured key that `authorization` carries; null or absent: none, or not a configured one (401). */
  caller?: ApiCaller | null;
  /**
   * The name of the API key that authenticated the call (never the key), set by the API-key
   * middleware: the actor of audit events and a label of logs and metrics (issue 16).
   */
  apiKeyName?: string;
  /** The caller's IP (the last X-Forwarded-For hop when behind a trusted proxy). */
  clientIp: string;
  /** Response adjustments a procedure asks for (e.g. 201 on create, 503 on health). */
  response: { status?: number };
};

/**
 * Builds contexts; `trustProxy` takes the client IP from the last X-Forwarded-For hop;
 * `callerOf` finds the request's API key (once per request: see api-keys.ts).
 */
export function createContextFactory(options: {
  trustProxy: boolean;
  callerOf: (req: IncomingMessage) => ApiCaller | null;
}) {
  return (req: IncomingMessage): RequestContext => {
    const id = (req as IncomingMessage & { id?: unknown }).id;
    const forwarded = req.headers["x-forwarded-for"];
    const lastHop = typeof forwarded === "string" ? forwarded.split(",").pop()?.trim() : undefined;
    const caller = options.callerOf(req);
    return {
      requestId: typeof id === "string" ? id : "",
      authorization: req.headers.authorization,
      caller,
      ...(caller ? { apiKeyName: caller.name } : {}),
      clientIp: (options.trustProxy && lastHop) || req.socket.remoteAddress || "unknown",
      response: {},
    };
  };
}

export type ContextFactory = ReturnType<typeof createContextFactory>;

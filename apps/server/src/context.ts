import type { IncomingMessage } from "node:http";

/**
 * Per-request context. Plain data only: its type ends up in the SDK's `.d.ts`, so it must
 * not mention server libraries (see GOTCHAS.md).
 */
export type RequestContext = {
  requestId: string;
  /** The raw `Authorization` header, checked by the API-key middleware. */
  authorization: string | undefined;
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

/** Builds contexts; `trustProxy` takes the client IP from the last X-Forwarded-For hop. */
export function createContextFactory(options: { trustProxy: boolean }) {
  return (req: IncomingMessage): RequestContext => {
    const id = (req as IncomingMessage & { id?: unknown }).id;
    const forwarded = req.headers["x-forwarded-for"];
    const lastHop = typeof forwarded === "string" ? forwarded.split(",").pop()?.trim() : undefined;
    return {
      requestId: typeof id === "string" ? id : "",
      authorization: req.headers.authorization,
      clientIp: (options.trustProxy && lastHop) || req.socket.remoteAddress || "unknown",
      response: {},
    };
  };
}

export type ContextFactory = ReturnType<typeof createContextFactory>;

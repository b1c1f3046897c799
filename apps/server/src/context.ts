import type { IncomingMessage } from "node:http";

/**
 * Per-request context. Plain data only: its type ends up in the SDK's `.d.ts`, so it must
 * not mention server libraries (see GOTCHAS.md).
 */
export type RequestContext = {
  requestId: string;
  /** The raw `Authorization` header, checked by the API-key middleware. */
  authorization: string | undefined;
  /** Response adjustments a procedure asks for (e.g. 201 on create, 503 on health). */
  response: { status?: number };
};

export function createRequestContext(req: IncomingMessage): RequestContext {
  const id = (req as IncomingMessage & { id?: unknown }).id;
  return {
    requestId: typeof id === "string" ? id : "",
    authorization: req.headers.authorization,
    response: {},
  };
}

import { AsyncLocalStorage } from "node:async_hooks";
import type { EventContext } from "@usersvc/core";
import type { RequestContext } from "./context";

/**
 * The request a piece of work belongs to, without threading it through every use case: the
 * tRPC middleware runs each procedure inside `requestScope.run(ctx, ...)`, and whatever the
 * procedure starts (background tasks included) sees that context.
 */
export const requestScope = new AsyncLocalStorage<RequestContext>();

/**
 * The actor, client IP and request id of the security event being recorded. The client IP is
 * kept only behind a trusted proxy (TRUST_PROXY): otherwise it is the calling service's
 * address, not the end user's, and would mislead whoever reads the trail.
 */
export function eventContextOf(options: { trustProxy: boolean }): () => EventContext {
  return () => {
    const ctx = requestScope.getStore();
    return {
      actor: ctx?.apiKeyName ?? null,
      clientIp: options.trustProxy && ctx ? ctx.clientIp : null,
      requestId: ctx?.requestId ? ctx.requestId : null,
    };
  };
}

/** Types the SDK builds on. Runtime code of the server is never imported by the SDK. */

export type { RequestContext } from "./context";
export type { ErrorCode } from "./error-codes";
export type { AppRouter } from "./router";
export type { ApiScope, ErrorData, RouteMeta } from "./trpc";
export type { WebhookEvent } from "./webhook-event";

import { createTRPCClient, httpBatchLink, type TRPCClient, type TRPCLink } from "@trpc/client";
import type { AnyRouter, inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { observable } from "@trpc/server/observable";
import type { AppRouter as ServerRouter } from "@usersvc/server";
import { UsersServiceError } from "./errors";

export type { ApiScope, ErrorCode, ErrorData } from "@usersvc/server";
export {
  type FieldIssue,
  isUsersServiceError,
  UsersServiceError,
  type UsersServiceErrorCode,
} from "./errors";
export {
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookHeaders,
  WebhookVerificationError,
  type WebhookVerificationReason,
} from "./webhooks";

export type UsersClientOptions = {
  /** Base URL of the service, e.g. `http://localhost:8000` (the client calls `<url>/trpc`). */
  url: string;
  /** An API key of the service (its scopes decide what this client may call), sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** A fetch implementation (defaults to the global one: Node 18+, Deno, Bun, edge runtimes). */
  fetch?: typeof fetch;
  /** Extra headers for every call (e.g. `x-request-id`). */
  headers?: Record<string, string>;
  /** Abort a call that has not been answered after this many milliseconds (code "TIMEOUT"). */
  timeoutMs?: number;
};

/** Turns every failure into a UsersServiceError, so callers can switch on `error.code`. */
function typedErrors<TRouter extends AnyRouter>(): TRPCLink<TRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (error) => observer.error(new UsersServiceError(error)),
          complete: () => observer.complete(),
        }),
      );
}

/**
 * A fully typed client of the users service, grouped as the service's router is:
 * `client.users.create.mutate(...)`, `client.users.auth.check.mutate(...)`, ...
 * Calls reject with `UsersServiceError`.
 */
export function createUsersClient(options: UsersClientOptions) {
  const base = options.url.replace(/\/+$/, "");
  const baseFetch = options.fetch ?? globalThis.fetch;
  const { timeoutMs } = options;
  const fetchWithTimeout: typeof fetch =
    timeoutMs === undefined
      ? baseFetch
      : (input, init) => {
          const timeout = AbortSignal.timeout(timeoutMs);
          const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
          return baseFetch(input, { ...init, signal });
        };
  return createTRPCClient<ServerRouter>({
    links: [
      typedErrors(),
      httpBatchLink({
        url: `${base}/trpc`,
        headers: () => ({ ...options.headers, authorization: `Bearer ${options.apiKey}` }),
        fetch: fetchWithTimeout,
      }),
    ],
  });
}

export type UsersClient = ReturnType<typeof createUsersClient>;

/**
 * The service's router type, taken from the client so that the published `.d.ts` spells it
 * out instead of importing the server.
 */
export type AppRouter = UsersClient extends TRPCClient<infer TRouter> ? TRouter : never;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** A user as the service returns it. */
export type User = RouterOutputs["users"]["byId"];

/** The stable code of an error thrown by a client call, if it has one. */
export function errorCodeOf(error: unknown) {
  return error instanceof UsersServiceError ? error.code : undefined;
}

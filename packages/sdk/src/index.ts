import {
  getUntypedClient,
  httpBatchLink,
  httpLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
  type TRPCLink,
} from "@trpc/client";
import type { AnyRouter, inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { observable } from "@trpc/server/observable";
import { UsersServiceError } from "./errors";
import { buildResources, resourceMap, type UsersResources } from "./resources";
import { type CallOptions, isRetryable, type RetryOptions, retryDelay, retrySettings, sleep } from "./retry";
import { createRawClient, type Router } from "./router";
import { sdkVersion, userAgent } from "./version";

export type { ApiScope, ErrorCode, ErrorData } from "@usersvc/server";
export {
  type FieldIssue,
  isUsersServiceError,
  UsersServiceError,
  type UsersServiceErrorCode,
} from "./errors";
export {
  type Page,
  type PaginateOptions,
  type PaginatingMethod,
  type ProcedureAt,
  type ProcedurePath,
  paginate,
  type ResourceMap,
  type ResourceMethod,
  type ResourceSpec,
  type Resources,
  resourceMap,
  type UsersResources,
} from "./resources";
export { type CallOptions, isRetryable, nothingDoneCodes, type RetryOptions } from "./retry";
export {
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookHeaders,
  WebhookVerificationError,
  type WebhookVerificationReason,
} from "./webhooks";
export { sdkVersion };

export type UsersClientOptions = {
  /** Base URL of the service, e.g. `http://localhost:8000` (the client calls `<url>/trpc`). */
  url: string;
  /** An API key of the service (its scopes decide what this client may call), sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** A fetch implementation (defaults to the global one: Node 18+, Deno, Bun, edge runtimes). */
  fetch?: typeof fetch;
  /** Extra headers for every call (a call's own `headers` add to them). */
  headers?: Record<string, string>;
  /** Abort an attempt that has not been answered after this many milliseconds (code "TIMEOUT"). */
  timeoutMs?: number;
  /** Retry settings (see {@link RetryOptions}), or `false` to never retry. Default: 3 attempts within 30 s. */
  retry?: RetryOptions | false;
  /**
   * Send the calls made in the same tick as one HTTP request (tRPC's batch link). Default
   * `true`. A call with its own `signal`, `timeoutMs`, `headers` or `requestId` always goes alone.
   */
  batch?: boolean;
};

/** What a call tells the links: its own headers, and that it must not be batched. */
type CallContext = { alone?: boolean; headers?: Record<string, string>; requestId?: string };

/** Turns every failure into a UsersServiceError, so callers can switch on `error.code`. */
function typedErrors(): TRPCLink<AnyRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) =>
        next(op).subscribe({
          next: (value) => observer.next(value),
          error: (error) => {
            const { requestId } = op.context as CallContext;
            observer.error(new UsersServiceError(error, { requestId }));
          },
          complete: () => observer.complete(),
        }),
      );
}

/** A fetch that aborts after `timeoutMs` (and on the request's own signal). */
function withTimeout(baseFetch: typeof fetch, timeoutMs: number | undefined): typeof fetch {
  if (timeoutMs === undefined) return baseFetch;
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return baseFetch(input, { ...init, signal });
  };
}

/**
 * A client of the users service. Resource methods are plain async functions:
 *
 * ```ts
 * const client = createUsersClient({ url: "http://127.0.0.1:8000", apiKey });
 * const user = await client.auth.check({ identifier, password });
 * for await (const user of client.users.listAll({ q: "jo" })) console.log(user.username);
 * ```
 *
 * Every call rejects with {@link UsersServiceError}. Failed calls are retried when that is
 * safe (see {@link RetryOptions}); each takes {@link CallOptions} as its last argument.
 * `client.trpc` is the underlying typed tRPC client (`client.trpc.users.byId.query(...)`).
 */
export function createUsersClient(options: UsersClientOptions): UsersClient {
  const base = options.url.replace(/\/+$/, "");
  const baseFetch = options.fetch ?? globalThis.fetch;
  const url = `${base}/trpc`;
  const commonHeaders = () => ({
    ...options.headers,
    "x-usersvc-sdk": userAgent,
    authorization: `Bearer ${options.apiKey}`,
  });
  const single = httpLink({
    url,
    // A call alone carries its own signal (with its timeout), see `call` below.
    fetch: baseFetch,
    headers: ({ op }) => {
      const context = op.context as CallContext;
      return {
        ...commonHeaders(),
        ...context.headers,
        ...(context.requestId ? { "x-request-id": context.requestId } : {}),
      };
    },
  });
  const trpc = createRawClient([
    typedErrors(),
    options.batch === false
      ? single
      : splitLink({
          condition: (op) => (op.context as CallContext).alone === true,
          true: single,
          false: httpBatchLink({
            url,
            headers: commonHeaders,
            fetch: withTimeout(baseFetch, options.timeoutMs),
          }),
        }),
  ]);
  const untyped = getUntypedClient(trpc);

  const attempt = (path: string, type: "query" | "mutation", input: unknown, call: CallOptions) => {
    const timeoutMs = call.timeoutMs ?? options.timeoutMs;
    const alone =
      options.batch === false ||
      call.signal !== undefined ||
      call.timeoutMs !== undefined ||
      call.headers !== undefined ||
      call.requestId !== undefined;
    const signals = [
      call.signal,
      alone && timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : undefined,
    ];
    const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
    const context: CallContext = {
      alone,
      ...(call.headers ? { headers: call.headers } : {}),
      ...(call.requestId ? { requestId: call.requestId } : {}),
    };
    const request = {
      context,
      ...(present.length > 0 ? { signal: present.length === 1 ? present[0] : AbortSignal.any(present) } : {}),
    };
    return type === "query" ? untyped.query(path, input, request) : untyped.mutation(path, input, request);
  };

  const call = async (
    path: string,
    type: "query" | "mutation",
    input: unknown,
    callOptions: CallOptions = {},
  ): Promise<unknown> => {
    const settings = retrySettings(options.retry, callOptions.retry);
    const started = Date.now();
    for (let n = 1; ; n++) {
      try {
        return await attempt(path, type, input, callOptions);
      } catch (error) {
        const delay = isRetryable(error, type) ? retryDelay(error, n, Date.now() - started, settings) : null;
        if (delay === null) throw error;
        await sleep(delay, callOptions.signal).catch((reason: unknown) => {
          // The caller gave up while we waited: that is their abort, not the last failure.
          throw new UsersServiceError(
            TRPCClientError.from(reason instanceof Error ? reason : new Error("aborted")),
          );
        });
      }
    }
  };

  const resources = buildResources(resourceMap, call) as UsersResources;
  return { ...resources, trpc };
}

/** The client: its resource methods (`client.users`, `client.auth`, ...) and the raw tRPC client. */
export type UsersClient = UsersResources & {
  /** The typed tRPC client underneath, for advanced use (`client.trpc.users.byId.query({ id })`). */
  trpc: TRPCClient<Router>;
};

/**
 * The service's router type, taken from the client so that the published `.d.ts` spells it
 * out instead of importing the server.
 */
export type AppRouter = UsersClient["trpc"] extends TRPCClient<infer TRouter> ? TRouter : never;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** A user as the service returns it. */
export type User = RouterOutputs["users"]["byId"];

/** The stable code of an error thrown by a client call, if it has one. */
export function errorCodeOf(error: unknown) {
  return error instanceof UsersServiceError ? error.code : undefined;
}

import { createTRPCClient, httpBatchLink, type TRPCClient, TRPCClientError } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { ErrorCode, ErrorData, AppRouter as ServerRouter } from "@usersvc/server";

export type { ErrorCode, ErrorData };

export type UsersClientOptions = {
  /** Base URL of the service, e.g. `http://localhost:8000` (the client calls `<url>/trpc`). */
  url: string;
  /** One of the service's API_KEYS, sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** Extra headers for every call (e.g. `x-request-id`). */
  headers?: Record<string, string>;
};

/** A fully typed client of the users service: `client.users.health.query()`. */
export function createUsersClient(options: UsersClientOptions) {
  const base = options.url.replace(/\/+$/, "");
  return createTRPCClient<ServerRouter>({
    links: [
      httpBatchLink({
        url: `${base}/trpc`,
        headers: () => ({ ...options.headers, authorization: `Bearer ${options.apiKey}` }),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}

export type UsersClient = ReturnType<typeof createUsersClient>;

/**
 * The server's router type, taken from the client so that the published `.d.ts` spells it
 * out instead of importing the server.
 */
export type AppRouter = UsersClient extends TRPCClient<infer TRouter> ? TRouter : never;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** A user as the service returns it. */
export type User = RouterOutputs["users"]["byId"];

/** The stable code of an error thrown by a client call (e.g. "USER_NOT_FOUND"), if it has one. */
export function errorCodeOf(error: unknown): ErrorCode | undefined {
  return error instanceof TRPCClientError ? (error as TRPCClientError<ServerRouter>).data?.code : undefined;
}

import { createTRPCClient, type TRPCClient, type TRPCLink } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import type { AppRouter as ServerRouter } from "@usersvc/server";

/**
 * The typed tRPC client of the service. Its return type is inferred, so the published
 * `.d.ts` spells the router out here instead of importing the server (GOTCHAS.md).
 */
export function createRawClient(links: TRPCLink<AnyRouter>[]) {
  return createTRPCClient<ServerRouter>({ links });
}

/** The service's router type, as the client sees it. */
export type Router = ReturnType<typeof createRawClient> extends TRPCClient<infer TRouter> ? TRouter : never;

import type { User } from "@usersvc/core";
import { createHealthProcedures, type HealthChecker } from "./routers/health";
import { createUserProcedures } from "./routers/users";
import { createApiProcedure, t } from "./trpc";

/**
 * What the router needs, typed structurally with plain data so that the router's type (and
 * with it the SDK's `.d.ts`) never mentions mongoose or core's internals.
 */
export type RouterDeps = {
  isAuthorized: (authorization: string | undefined) => boolean;
  health: HealthChecker;
  users: { getUserById(id: string): Promise<User> };
};

/** Builds the one router served on /trpc and, through its OpenAPI meta, under /api. */
export function createAppRouter(deps: RouterDeps) {
  const apiProcedure = createApiProcedure(deps.isAuthorized);
  return t.router({
    users: t.router({
      // Static REST paths first: trpc-to-openapi matches routes in declaration order.
      ...createHealthProcedures(deps.health),
      ...createUserProcedures({ apiProcedure, users: deps.users }),
    }),
  });
}

export type AppRouter = ReturnType<typeof createAppRouter>;

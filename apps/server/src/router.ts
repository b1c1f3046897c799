import type { UseCases } from "@usersvc/core";
import { createAuditProcedures } from "./routers/audit";
import { createAuthProcedures } from "./routers/auth";
import { createHealthProcedures, type HealthChecker } from "./routers/health";
import { createImportProcedures } from "./routers/import";
import { createManagementProcedures } from "./routers/management";
import { createMfaProcedures } from "./routers/mfa";
import { createUserProcedures } from "./routers/users";
import { createWebhookProcedures } from "./routers/webhooks";
import { createApiProcedure, t } from "./trpc";

/** What the router needs. (The SDK takes the router's type from its client, not from here.) */
export type RouterDeps = {
  isAuthorized: (authorization: string | undefined) => boolean;
  health: HealthChecker;
  useCases: UseCases;
};

/** Builds the one router served on /trpc and, through its OpenAPI meta, under /api. */
export function createAppRouter(deps: RouterDeps) {
  const apiProcedure = createApiProcedure(deps.isAuthorized);
  return t.router({
    users: t.router({
      // Static REST paths first: trpc-to-openapi matches routes in declaration order.
      ...createHealthProcedures(deps.health),
      ...createUserProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createAuthProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createMfaProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createManagementProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createImportProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createAuditProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createWebhookProcedures({ apiProcedure, useCases: deps.useCases }),
    }),
  });
}

export type AppRouter = ReturnType<typeof createAppRouter>;

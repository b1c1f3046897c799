import type { UseCases } from "@usersvc/core";
import { createAuditProcedures } from "./routers/audit";
import { createAuthProcedures } from "./routers/auth";
import { createHealthProcedures, type HealthChecker } from "./routers/health";
import { createImportProcedures } from "./routers/import";
import { createManagementProcedures } from "./routers/management";
import { createMfaProcedures } from "./routers/mfa";
import { createPasskeyProcedures } from "./routers/passkeys";
import { createUserProcedures } from "./routers/users";
import { createWebhookProcedures } from "./routers/webhooks";
import { assertScopesDeclared, createApiProcedure, t } from "./trpc";

/** What the router needs. (The SDK takes the router's type from its client, not from here.) */
export type RouterDeps = {
  health: HealthChecker;
  useCases: UseCases;
};

/**
 * Builds the one router served on /trpc and, through its OpenAPI meta, under /api. Throws
 * when a procedure declares no API-key scope.
 */
export function createAppRouter(deps: RouterDeps) {
  const apiProcedure = createApiProcedure();
  const router = t.router({
    users: t.router({
      // Static REST paths first: trpc-to-openapi matches routes in declaration order.
      ...createHealthProcedures(deps.health),
      ...createUserProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createAuthProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createMfaProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createPasskeyProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createManagementProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createImportProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createAuditProcedures({ apiProcedure, useCases: deps.useCases }),
      ...createWebhookProcedures({ apiProcedure, useCases: deps.useCases }),
    }),
  });
  assertScopesDeclared(router._def.procedures);
  return router;
}

export type AppRouter = ReturnType<typeof createAppRouter>;

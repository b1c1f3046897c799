import { auditEventPageSchema, listEventsInputSchema, type UseCases } from "@usersvc/core";
import { type createApiProcedure, t } from "../trpc";

export type AuditProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  useCases: UseCases;
};

const tags = ["audit"];

/** The audit trail of security events (scope admin). */
export function createAuditProcedures({ apiProcedure, useCases }: AuditProcedureDeps) {
  return {
    events: t.router({
      list: apiProcedure
        .meta({
          scope: "admin",
          openapi: {
            method: "GET",
            path: "/users/events",
            tags,
            summary: "Security events, newest first (cursor pagination; by user, type, time range)",
            description:
              "`limit` 1-100 (default 50); pass `next_cursor` as `cursor` for the next page. `from` is inclusive, `to` exclusive. Events are kept AUDIT_RETENTION_DAYS (default 90). See docs/integration.md for the catalogue.",
            errorResponses: {
              400: "VALIDATION_ERROR (including a foreign cursor)",
              401: "INVALID_API_KEY",
              403: "INSUFFICIENT_SCOPE (needs admin)",
            },
          },
        })
        .input(listEventsInputSchema)
        .output(auditEventPageSchema)
        .query(({ input }) => useCases.listEvents(input)),
    }),
  };
}

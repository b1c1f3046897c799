import { z } from "zod";
import { publicProcedure } from "../trpc";

const healthSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    database: z.enum(["up", "down"]),
    outbox: z
      .object({
        pending: z.number().int().meta({ description: "Emails waiting to be sent" }),
        oldest_pending_seconds: z
          .number()
          .int()
          .nullable()
          .meta({ description: "Age of the oldest waiting email" }),
      })
      .nullable()
      .meta({ description: "Null while the database is down" }),
  })
  .meta({
    id: "Health",
    example: { status: "ok", database: "up", outbox: { pending: 0, oldest_pending_seconds: null } },
  });

export type HealthChecker = { check(): Promise<z.infer<typeof healthSchema>> };

/** Readiness (the contract's health route) and liveness. */
export function createHealthProcedures(health: HealthChecker) {
  return {
    health: publicProcedure
      .meta({
        outputAlsoOn: 503,
        openapi: {
          method: "GET",
          path: "/users/health",
          tags: ["health"],
          protect: false,
          summary: "Readiness: database ping and email backlog",
          description:
            'Pings the database. 200 with `database: "up"` and the outbox backlog; 503 with `database: "down"` within about two seconds when it is unreachable. Route traffic on this (readiness); restart on /users/health/live (liveness). No API key needed.',
          successDescription: "The service can serve requests",
          errorResponses: { 503: "The database is unreachable (body is the same health object)" },
        },
      })
      .input(z.void())
      .output(healthSchema)
      .query(async ({ ctx }) => {
        const report = await health.check();
        if (report.database === "down") ctx.response.status = 503;
        return report;
      }),

    live: publicProcedure
      .meta({
        openapi: {
          method: "GET",
          path: "/users/health/live",
          tags: ["health"],
          protect: false,
          summary: "Liveness: the process is up (checks nothing else)",
        },
      })
      .input(z.void())
      .output(z.object({ status: z.literal("ok") }))
      .query(() => ({ status: "ok" as const })),
  };
}

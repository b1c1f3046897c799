import { z } from "zod";
import { publicProcedure } from "../trpc";

const healthSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    database: z.enum(["up", "down"]),
  })
  .meta({ id: "Health", example: { status: "ok", database: "up" } });

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
          summary: "Service and database health (readiness)",
          description:
            'Pings the database. 200 with `database: "up"`; 503 with `database: "down"` within about two seconds when it is unreachable. No API key needed.',
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

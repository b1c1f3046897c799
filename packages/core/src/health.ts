import type { Connection } from "mongoose";
import { pingDatabase } from "./database";
import type { OutboxRepository } from "./outbox/repository";

export type HealthReport = {
  status: "ok" | "unavailable";
  database: "up" | "down";
  /** Email waiting to be sent; null when the database cannot tell. */
  outbox: { pending: number; oldest_pending_seconds: number | null } | null;
};

export type HealthService = {
  /** Pings the database and reads the outbox backlog; never throws, never waits past the timeout. */
  check(): Promise<HealthReport>;
};

export function createHealthService(deps: {
  connection: Connection;
  outbox: Pick<OutboxRepository, "stats">;
  timeoutMs: number;
}): HealthService {
  return {
    async check() {
      try {
        await pingDatabase(deps.connection, deps.timeoutMs);
      } catch {
        return { status: "unavailable", database: "down", outbox: null };
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), deps.timeoutMs);
      });
      const stats = await Promise.race([deps.outbox.stats().catch(() => null), late]);
      clearTimeout(timer);
      const oldest = stats?.oldestPendingAt;
      return {
        status: "ok",
        database: "up",
        outbox: stats
          ? {
              pending: stats.pending,
              oldest_pending_seconds: oldest ? Math.round((Date.now() - oldest.getTime()) / 1_000) : null,
            }
          : null,
      };
    },
  };
}

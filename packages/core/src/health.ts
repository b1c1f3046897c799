import type { Connection } from "mongoose";
import type { OutboxStats } from "./email/outbox-store";
import { pingDatabase } from "./persistence/connection";

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
  outbox: { stats(): Promise<OutboxStats> };
  timeoutMs: number;
}): HealthService {
  // Counting the backlog is a scan on FerretDB: probes share one reading per second.
  let cached: { at: number; stats: Promise<OutboxStats | null> } | null = null;
  const stats = () => {
    if (!cached || Date.now() - cached.at > 1_000) {
      cached = { at: Date.now(), stats: deps.outbox.stats().catch(() => null) };
    }
    return cached.stats;
  };
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
      const backlog = await Promise.race([stats(), late]);
      clearTimeout(timer);
      const oldest = backlog?.oldestPendingAt;
      return {
        status: "ok",
        database: "up",
        outbox: backlog
          ? {
              pending: backlog.pending,
              oldest_pending_seconds: oldest ? Math.round((Date.now() - oldest.getTime()) / 1_000) : null,
            }
          : null,
      };
    },
  };
}

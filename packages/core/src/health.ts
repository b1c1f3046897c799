import type { Connection } from "mongoose";
import { pingDatabase } from "./database";

export type HealthReport = {
  status: "ok" | "unavailable";
  database: "up" | "down";
};

export type HealthService = {
  /** Pings the database; never throws, never waits longer than the configured timeout. */
  check(): Promise<HealthReport>;
};

export function createHealthService(deps: { connection: Connection; timeoutMs: number }): HealthService {
  return {
    async check() {
      try {
        await pingDatabase(deps.connection, deps.timeoutMs);
        return { status: "ok", database: "up" };
      } catch {
        return { status: "unavailable", database: "down" };
      }
    },
  };
}

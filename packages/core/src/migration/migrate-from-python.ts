import type { Keyring } from "../keyring";
import { type InvalidRow, mapLegacyUser } from "./legacy-user";
import { type Candidate, type Conflict, planMigration } from "./plan";
import type { LegacyRow, LegacyUserSource, MigratedUser, MigrationTarget } from "./ports";

/** A source user the target refused: another user of ours holds its username or email. */
export type TakenInTarget = {
  id: string;
  username: string;
  email: string;
  code: "USERNAME_TAKEN" | "EMAIL_TAKEN";
};

/** What a run found and did (a dry run: what it would do). */
export type MigrationReport = {
  dryRun: boolean;
  /** Rows read from the source. */
  read: number;
  invalid: InvalidRow[];
  conflicts: Conflict[];
  /** Users written by this run (a dry run: that it would write). */
  inserted: number;
  /** Users whose id the target already holds (migrated by an earlier run): left as they are. */
  alreadyMigrated: number;
  takenInTarget: TakenInTarget[];
};

/** After each batch of a run. */
export type MigrationProgress = {
  batch: number;
  read: number;
  inserted: number;
  alreadyMigrated: number;
  lastId: string;
};

export type PythonMigration = {
  run(options: {
    dryRun: boolean;
    batchSize: number;
    onProgress?: (progress: MigrationProgress) => void;
  }): Promise<MigrationReport>;
};

/**
 * Moves the Python service's users into ours. A first pass reads every row to find the invalid
 * ones and settle case conflicts (see plan.ts); the second, in `_id` order and batches, inserts
 * each kept user whose id the target lacks. Resumable and idempotent: a rerun skips the ids
 * already there, so a second run changes nothing.
 */
export function createPythonMigration(deps: {
  source: LegacyUserSource;
  target: MigrationTarget;
  keys: Pick<Keyring, "seal">;
}): PythonMigration {
  const { source, target, keys } = deps;

  async function* batches(batchSize: number): AsyncGenerator<LegacyRow[]> {
    let after: string | null = null;
    for (;;) {
      const rows = await source.readBatch(after, batchSize);
      if (rows.length === 0) return;
      yield rows;
      after = rows[rows.length - 1]?.id ?? null;
      if (rows.length < batchSize) return;
    }
  }

  return {
    async run({ dryRun, batchSize, onProgress }) {
      const report: MigrationReport = {
        dryRun,
        read: 0,
        invalid: [],
        conflicts: [],
        inserted: 0,
        alreadyMigrated: 0,
        takenInTarget: [],
      };
      const candidates: Candidate[] = [];
      for await (const rows of batches(batchSize)) {
        for (const row of rows) {
          report.read += 1;
          // Sealing waits for the second pass: here only the plan is wanted.
          const mapped = mapLegacyUser(row, { seal: () => "" });
          if ("invalid" in mapped) report.invalid.push(mapped.invalid);
          else {
            // Only what the plan needs: the report carries no hash or secret.
            const { id, username, email, is_active } = mapped.user;
            candidates.push({ id, username, email, is_active });
          }
        }
      }
      const plan = planMigration(candidates);
      report.conflicts = plan.conflicts;

      let batch = 0;
      let read = 0;
      for await (const rows of batches(batchSize)) {
        batch += 1;
        read += rows.length;
        const users = rows.flatMap((row): MigratedUser[] => {
          if (plan.skipped.has(row.id)) return [];
          const mapped = mapLegacyUser(row, dryRun ? { seal: () => "" } : keys);
          if ("user" in mapped) return [mapped.user];
          // Invalid now though valid in the first pass (changed meanwhile): reported too.
          if (!report.invalid.some((invalid) => invalid.id === row.id)) report.invalid.push(mapped.invalid);
          return [];
        });
        const existing = await target.existingIds(users.map((user) => user.id));
        for (const user of users) {
          if (existing.has(user.id)) {
            report.alreadyMigrated += 1;
            continue;
          }
          if (dryRun) {
            report.inserted += 1;
            continue;
          }
          const outcome = await target.insert(user);
          if (outcome === "inserted") report.inserted += 1;
          else if (outcome === "exists") report.alreadyMigrated += 1;
          else
            report.takenInTarget.push({
              id: user.id,
              username: user.username,
              email: user.email,
              code: outcome,
            });
        }
        onProgress?.({
          batch,
          read,
          inserted: report.inserted,
          alreadyMigrated: report.alreadyMigrated,
          lastId: rows[rows.length - 1]?.id ?? "",
        });
      }
      return report;
    },
  };
}

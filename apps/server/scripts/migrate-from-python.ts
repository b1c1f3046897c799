/**
 * `pnpm --filter @usersvc/server migrate:from-python -- --source-uri mongodb://... [--source-db
 * users] [--source-collection user] [--dry-run] [--batch-size 500]`: copies the Python
 * service's users into this service's database (MONGODB_URI / MONGODB_DB, read like the
 * server: ENV_FILE or .env). Keeps each `_id`, the Werkzeug hash and MFA (the secret sealed).
 * A dry run reports what would happen without writing. Resumable and idempotent: ids already
 * in the target are skipped. See docs/migration.md. Exit code 0 when every source user is in
 * the target, 2 when some need the operator (invalid rows, case conflicts, names taken), 1 on
 * failure.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Settings } from "@usersvc/config";
import {
  connectDatabase,
  createKeyring,
  createLegacyUserSource,
  createMigrationTarget,
  createPythonMigration,
  type MigrationReport,
} from "@usersvc/core";
import mongoose from "mongoose";
import { batchSizeOf, loadSettingsOrExplain } from "./cli";

export type MigrateOptions = {
  settings: Settings;
  sourceUri: string;
  /** Defaults to the database in `sourceUri`, else the target's MONGODB_DB. */
  sourceDb?: string;
  sourceCollection?: string;
  dryRun?: boolean;
  batchSize?: number;
  print?: (line: string) => void;
};

/** The database a MongoDB URI names in its path, if any. */
const databaseInUri = (uri: string) => {
  const name = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri)?.[1];
  return name ? decodeURIComponent(name) : undefined;
};

/** Whether the run left users for the operator to settle. */
export const needsOperator = (report: MigrationReport) =>
  report.invalid.length + report.conflicts.length + report.takenInTarget.length > 0;

/** Runs the migration (or its dry run); `print` gets each progress and summary line. */
export async function migrateFromPython(options: MigrateOptions): Promise<MigrationReport> {
  const { settings, sourceUri, dryRun = false, batchSize = 500 } = options;
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const client = new mongoose.mongo.MongoClient(sourceUri, {
    serverSelectionTimeoutMS: settings.mongodb.timeoutMs,
  });
  const sourceDb = options.sourceDb ?? databaseInUri(sourceUri) ?? settings.mongodb.dbName;
  const sourceCollection = options.sourceCollection ?? "user";
  const connection = await connectDatabase(settings.mongodb);
  try {
    await client.connect();
    const migration = createPythonMigration({
      source: createLegacyUserSource({ client, dbName: sourceDb, collection: sourceCollection }),
      target: createMigrationTarget(connection),
      keys: createKeyring({ current: settings.secretKey, previous: settings.previousSecretKeys }),
    });
    print(
      `${dryRun ? "Dry run: " : ""}${sourceDb}.${sourceCollection} -> ${settings.mongodb.dbName}.users, batches of ${batchSize}`,
    );
    const report = await migration.run({
      dryRun,
      batchSize,
      onProgress: (p) =>
        print(
          `batch ${p.batch}: ${p.read} read, ${p.inserted} ${dryRun ? "to insert" : "inserted"}, ${p.alreadyMigrated} already migrated (up to _id ${p.lastId})`,
        ),
    });
    printSummary(report, print);
    return report;
  } finally {
    await client.close();
    await connection.close();
  }
}

function printSummary(report: MigrationReport, print: (line: string) => void) {
  const would = report.dryRun ? "would be " : "";
  const skipped = report.conflicts.reduce((sum, c) => sum + c.skipped.length, 0);
  print(
    `${report.read} read: ${report.inserted} ${would}inserted, ${report.alreadyMigrated} already migrated, ${report.invalid.length} invalid, ${skipped} left out by case conflicts, ${report.takenInTarget.length} taken in the target`,
  );
  for (const row of report.invalid)
    print(`invalid ${row.id} (${row.username ?? "no username"}): ${row.reasons.join("; ")}`);
  for (const c of report.conflicts) {
    const others = c.skipped.map((s) => `${s.id} (${s.username}, ${s.email})`).join(", ");
    print(
      `conflict on ${c.field} "${c.value}": ${would}kept ${c.kept.id} (${c.kept.username}, ${c.kept.email}, the most recently active); ${would}left out: ${others}`,
    );
  }
  for (const t of report.takenInTarget) {
    print(`not migrated ${t.id} (${t.username}, ${t.email}): ${t.code} by another user of this service`);
  }
  if (needsOperator(report)) {
    print(
      "Users listed above are not migrated: fix them in the source (or let them register again), then run this again.",
    );
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const { values } = parseArgs({
    // `pnpm <script> -- --flag` passes the `--` on.
    args: args[0] === "--" ? args.slice(1) : args,
    options: {
      "source-uri": { type: "string" },
      "source-db": { type: "string" },
      "source-collection": { type: "string", default: "user" },
      "dry-run": { type: "boolean", default: false },
      "batch-size": { type: "string", default: "500" },
    },
  });
  const sourceUri = values["source-uri"];
  if (!sourceUri) {
    process.stderr.write("--source-uri is required (the Python service's MongoDB URI)\n");
    return 1;
  }
  const batchSize = batchSizeOf(values["batch-size"]);
  if (batchSize === null) return 1;
  const settings = loadSettingsOrExplain();
  if (!settings) return 1;
  const report = await migrateFromPython({
    settings,
    sourceUri,
    sourceCollection: values["source-collection"],
    dryRun: values["dry-run"],
    batchSize,
    ...(values["source-db"] ? { sourceDb: values["source-db"] } : {}),
  });
  return needsOperator(report) ? 2 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `migrate-from-python failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}

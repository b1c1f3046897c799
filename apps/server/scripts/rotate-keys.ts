/**
 * `pnpm --filter @usersvc/server rotate-keys [-- --batch-size 500]` (in the image:
 * `node dist/rotate-keys.js`): after SECRET_KEY changed (the old key in SECRET_KEY_PREVIOUS),
 * re-seals with the new key everything stored sealed with an older one: TOTP secrets,
 * pending enrolment secrets, recovery-code peppers (migrating users enrolled before them)
 * and queued email. Reads settings like the server; safe beside running instances;
 * resumable: stopped midway, a second run finishes, and a run with nothing left changes
 * nothing. Prints progress and a summary. Exit code 0 when no stored value needs a previous
 * key any more, 2 when some still do (unreadable, or written meanwhile by an instance with
 * the old configuration: run it again once every instance has the new one), 1 on failure.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Settings } from "@usersvc/config";
import {
  connectDatabase,
  createKeyRotation,
  createKeyring,
  emailRevertDays,
  type ResealReport,
} from "@usersvc/core";
import { batchSizeOf, loadSettingsOrExplain } from "./cli";

export type RotateKeysResult = {
  report: ResealReport;
  /** Stored values that still need a key other than the current one after the run. */
  remaining: { users: number; outbox: number; webhooks: number };
};

/** Runs the re-seal over the configured database; `print` gets each progress and summary line. */
export async function rotateKeys(options: {
  settings: Settings;
  batchSize?: number;
  print?: (line: string) => void;
}): Promise<RotateKeysResult> {
  const { settings, batchSize = 500 } = options;
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const keys = createKeyring({ current: settings.secretKey, previous: settings.previousSecretKeys });
  const previous = keys.keys.slice(1).map((key) => key.id);
  print(
    `current key ${keys.current.id}; previous keys: ${previous.length > 0 ? previous.join(", ") : "none"}`,
  );
  const connection = await connectDatabase(settings.mongodb);
  try {
    const rotation = createKeyRotation({ connection, keys });
    const report = await rotation.resealAll({
      batchSize,
      onProgress: (p) =>
        print(
          `${p.collection}: ${p.scanned} read, ${p.resealed} re-sealed, ${p.changedMeanwhile} changed meanwhile, ${p.unreadable} unreadable (up to _id ${p.lastId})`,
        ),
    });
    const remaining = await rotation.countStale(batchSize);
    for (const collection of ["users", "outbox", "webhooks"] as const) {
      const counts = report[collection];
      print(
        `${collection}: done: ${counts.scanned} read, ${counts.resealed} re-sealed; ${remaining[collection]} still need a previous key`,
      );
    }
    // Email-change revert links live days, not minutes: they set the wait.
    const lifetime = Math.max(
      settings.activation.codeLifetimeMinutes,
      settings.passwordReset.expirationMinutes,
      emailRevertDays * 24 * 60,
    );
    if (remaining.users + remaining.outbox + remaining.webhooks === 0) {
      print(
        `No stored secret needs a previous key any more. Emailed codes and reset links hashed under them still do until they expire: remove SECRET_KEY_PREVIOUS once ${lifetime} minutes (the longest code or link lifetime: ${emailRevertDays} days for email-change revert links) have passed since SECRET_KEY changed on every instance, or sooner if voiding outstanding revert links is acceptable (after a key leak, weigh it).`,
      );
    } else {
      print(
        "Some values still need a previous key (or no configured key opens them): keep SECRET_KEY_PREVIOUS, make sure every instance runs with the new SECRET_KEY, and run this again.",
      );
    }
    return { report, remaining };
  } finally {
    await connection.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { "batch-size": { type: "string", default: "500" } } });
  const batchSize = batchSizeOf(values["batch-size"]);
  if (batchSize === null) return 1;
  const settings = loadSettingsOrExplain();
  if (!settings) return 1;
  const { remaining } = await rotateKeys({ settings, batchSize });
  return remaining.users + remaining.outbox + remaining.webhooks === 0 ? 0 : 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`rotate-keys failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

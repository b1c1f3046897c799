import { loadSettingsFromProcess, type Settings, SettingsError } from "@usersvc/config";

/** The settings of an operator command, or null once every bad variable was named on stderr. */
export function loadSettingsOrExplain(): Settings | null {
  try {
    return loadSettingsFromProcess();
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`${error.message}\nSee .env.example for every variable.\n`);
    return null;
  }
}

/** A `--batch-size` value, or null once the mistake was said on stderr. */
export function batchSizeOf(value: string | undefined): number | null {
  const batchSize = Number(value);
  if (Number.isInteger(batchSize) && batchSize >= 1) return batchSize;
  process.stderr.write("--batch-size must be a positive integer\n");
  return null;
}

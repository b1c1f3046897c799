import { normalizeKey } from "../users/schemas";

/** What the plan needs of a valid source user. */
export type Candidate = { id: string; username: string; email: string; is_active: boolean };

/** Users of the source that are one user for us: equal usernames or emails ignoring case. */
export type Conflict = {
  field: "username" | "email";
  /** The shared value, lower-cased. */
  value: string;
  /** The one migrated. */
  kept: Candidate;
  /** The ones left out, for the operator to settle. */
  skipped: Candidate[];
};

/**
 * The most recently active first: active users before inactive ones, then the newest (an
 * ObjectId starts with its creation time, so a greater id is a later user).
 */
export const byMostRecentlyActive = (a: Candidate, b: Candidate) =>
  Number(b.is_active) - Number(a.is_active) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Settles case conflicts: in `byMostRecentlyActive` order, a user is kept unless a kept user
 * already holds its username or email ignoring case; each left-out user is listed under the
 * value it shares with the user kept. Deterministic, so a rerun makes the same choice.
 */
export function planMigration(candidates: readonly Candidate[]): {
  skipped: Set<string>;
  conflicts: Conflict[];
} {
  const holders = { username: new Map<string, Candidate>(), email: new Map<string, Candidate>() };
  const conflicts = new Map<string, Conflict>();
  const skipped = new Set<string>();
  for (const candidate of [...candidates].sort(byMostRecentlyActive)) {
    const keys = { username: normalizeKey(candidate.username), email: normalizeKey(candidate.email) };
    const field = (["username", "email"] as const).find((f) => holders[f].has(keys[f]));
    const kept = field && holders[field].get(keys[field]);
    if (field && kept) {
      skipped.add(candidate.id);
      const id = `${field}:${keys[field]}`;
      const conflict = conflicts.get(id) ?? { field, value: keys[field], kept, skipped: [] };
      conflict.skipped.push(candidate);
      conflicts.set(id, conflict);
      continue;
    }
    holders.username.set(keys.username, candidate);
    holders.email.set(keys.email, candidate);
  }
  return { skipped, conflicts: [...conflicts.values()] };
}

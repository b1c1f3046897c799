import type { NewUser } from "../users/user";

/** A document of the Python service's `user` collection, as read: its id and raw fields. */
export type LegacyRow = {
  id: string;
  fields: Record<string, unknown>;
  /** False for an `_id` that is not an ObjectId (such a row cannot keep its id here). */
  idIsObjectId?: boolean;
};

/** Reads the Python service's users in `_id` order. */
export interface LegacyUserSource {
  /** Up to `limit` rows with an id greater than `afterId` (all from the start when null). */
  readBatch(afterId: string | null, limit: number): Promise<LegacyRow[]>;
}

/** A migrated user: a new user that keeps its creation time. */
export type MigratedUser = NewUser & { created_at: Date };

/** Where migrated users go: the service's own users. */
export interface MigrationTarget {
  /** Which of `ids` the target already holds. */
  existingIds(ids: readonly string[]): Promise<Set<string>>;
  /**
   * Inserts a user with its id; `"exists"` when that id is already there, `USERNAME_TAKEN` or
   * `EMAIL_TAKEN` when another user of the target holds its name or address.
   */
  insert(user: MigratedUser): Promise<"inserted" | "exists" | "USERNAME_TAKEN" | "EMAIL_TAKEN">;
}

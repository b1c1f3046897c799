import { DomainError } from "../errors";
import type { SecurityEvents } from "../events/recorder";
import type { Keyring } from "../keyring";
import type { UserLookup, UserRegistry } from "../ports";
import type { NewUser } from "../users/user";
import {
  type ImportResult,
  type ImportUserInput,
  type ImportUsersInput,
  type ImportUsersOutput,
  importUserSchema,
} from "./schemas";

export type ImportUsersDeps = {
  users: Pick<UserRegistry, "newId" | "insert"> & Pick<UserLookup, "findById">;
  /** Seals imported TOTP secrets, as enrolment does. */
  keys: Pick<Keyring, "seal">;
  events: SecurityEvents;
};

export type ImportUsers = (input: ImportUsersInput) => Promise<ImportUsersOutput>;

/** "path: message; …" of a row's validation issues. */
const reasonOf = (issues: readonly { path: readonly PropertyKey[]; message: string }[]) =>
  issues
    .map((issue) =>
      issue.path.length ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message,
    )
    .join("; ");

/**
 * Bulk import of users made elsewhere, with their password hashes as they are (argon2,
 * bcrypt, Werkzeug scrypt/pbkdf2, Django pbkdf2; see password/legacy-hashes.ts): the first
 * login verifies the hash and replaces it with argon2id. Each row stands alone: `created`,
 * `skipped` when its id, username or email (case-insensitively) is taken, or `invalid` with
 * the reason. Nothing is hashed here and no email is sent. Rows are written in order, so a
 * later row that repeats an earlier one is the one skipped.
 */
export function createImportUsers(deps: ImportUsersDeps): ImportUsers {
  const { users, keys } = deps;
  const toNewUser = (row: ImportUserInput): NewUser => ({
    id: row.id?.toLowerCase() ?? users.newId(),
    username: row.username,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    password_hash: row.password_hash,
    gender: row.gender,
    role: row.role,
    is_active: row.is_active,
    mfa_enabled: Boolean(row.mfa_secret),
    activation: null,
    mfa: row.mfa_secret
      ? {
          secret_enc: keys.seal(row.mfa_secret),
          pending_secret_enc: null,
          pending_id: null,
          last_step: null,
          recovery_hashes: [],
          recovery_pepper_enc: null,
        }
      : null,
    email_change: null,
  });
  const importOne = async (row: unknown, index: number): Promise<ImportResult> => {
    const parsed = importUserSchema.safeParse(row);
    if (!parsed.success) return { index, status: "invalid", reason: reasonOf(parsed.error.issues) };
    const user = toNewUser(parsed.data);
    const idTaken = {
      index,
      id: user.id,
      status: "skipped",
      reason: "id: a user with this id exists",
    } as const;
    if (parsed.data.id && (await users.findById(user.id))) return idTaken;
    try {
      await users.insert(user);
      return { index, id: user.id, status: "created" };
    } catch (error) {
      if (
        !(error instanceof DomainError) ||
        (error.code !== "USERNAME_TAKEN" && error.code !== "EMAIL_TAKEN")
      )
        throw error;
      // A duplicate _id surfaces as a duplicate key the store cannot name: ask.
      if (parsed.data.id && (await users.findById(user.id))) return idTaken;
      const field = error.code === "USERNAME_TAKEN" ? "username" : "email";
      return { index, status: "skipped", reason: `${field}: ${error.message}` };
    }
  };
  return async (input) => {
    const results: ImportResult[] = [];
    try {
      for (const [index, row] of input.users.entries()) results.push(await importOne(row, index));
    } finally {
      // One write for the batch's events, also when a later row failed the call.
      const created = results.flatMap((result) =>
        result.status === "created" && result.id ? [result.id] : [],
      );
      await deps.events.recordAll(created.map((userId) => ({ type: "user.imported", userId })));
    }
    const count = (status: ImportResult["status"]) =>
      results.filter((result) => result.status === status).length;
    return { results, created: count("created"), skipped: count("skipped"), invalid: count("invalid") };
  };
}

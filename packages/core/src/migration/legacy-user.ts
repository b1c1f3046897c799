import { z } from "zod";
import type { Keyring } from "../keyring";
import { describeHash } from "../password/legacy-hashes";
import { emailSchema, genders, noControlCharacters, roles, usernameSchema } from "../users/schemas";
import type { LegacyRow, MigratedUser } from "./ports";

/** Werkzeug's hash forms the service verifies at login: `scrypt:N:r:p` and `pbkdf2:<digest>:<iterations>`. */
const werkzeugHash = /^(scrypt:\d+:\d+:\d+|pbkdf2:(sha256|sha1|sha512):\d+)\$[^$]+\$[0-9a-f]+$/;
/** A PyOTP secret: base32, at least 80 bits. */
const base32Secret = /^[A-Z2-7]{16,}=*$/;

const nameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(noControlCharacters, "must not contain control characters");

const legacyUserSchema = z.object({
  username: usernameSchema,
  first_name: nameSchema,
  last_name: nameSchema,
  email: emailSchema,
  password: z
    .string()
    .regex(werkzeugHash, "is not a Werkzeug scrypt or pbkdf2 hash")
    .refine((hash) => describeHash(hash).ok, "is a Werkzeug hash with parameters the login does not accept"),
  gender: z.enum(genders, `must be one of ${genders.join(", ")}`),
  role: z.enum(roles, `must be one of ${roles.join(", ")}`).nullish(),
  is_active: z.boolean("must be true or false").nullish(),
  mfa_secret: z
    .string()
    .transform((value) => value.replace(/\s/g, "").toUpperCase())
    .pipe(z.string().regex(base32Secret, "must be a base32 secret of at least 16 characters"))
    .or(z.literal(""))
    .nullish(),
  created_at: z.date().nullish(),
});

/** A source row the migration cannot take, and why (`field: reason`). */
export type InvalidRow = { id: string; username: string | null; reasons: string[] };

/** The creation time an ObjectId carries (its first 4 bytes: seconds since 1970). */
export const objectIdTime = (id: string) => new Date(Number.parseInt(id.slice(0, 8), 16) * 1000);

/**
 * Maps one Python-service user to ours: the same id, profile and role; the Werkzeug hash kept
 * as it is (verified, then replaced, at the first login); a TOTP secret sealed with the
 * current key and MFA on, without recovery codes; pending users stay pending without a code
 * (they ask for a new one); the creation time from `created_at` or else the id.
 */
export function mapLegacyUser(
  row: LegacyRow,
  keys: Pick<Keyring, "seal">,
): { user: MigratedUser } | { invalid: InvalidRow } {
  if (row.idIsObjectId === false) {
    const username = typeof row.fields.username === "string" ? row.fields.username : null;
    return {
      invalid: {
        id: row.id,
        username,
        reasons: ["_id: is not an ObjectId (ids are kept, and ours are ObjectIds)"],
      },
    };
  }
  const parsed = legacyUserSchema.safeParse(row.fields);
  if (!parsed.success) {
    const username = typeof row.fields.username === "string" ? row.fields.username : null;
    const reasons = parsed.error.issues.map((issue) => `${issue.path.join(".") || "row"}: ${issue.message}`);
    return { invalid: { id: row.id, username, reasons } };
  }
  const legacy = parsed.data;
  const secret = legacy.mfa_secret ? legacy.mfa_secret : null;
  return {
    user: {
      id: row.id,
      username: legacy.username,
      first_name: legacy.first_name,
      last_name: legacy.last_name,
      email: legacy.email,
      password_hash: legacy.password,
      gender: legacy.gender,
      role: legacy.role ?? "user",
      is_active: legacy.is_active ?? false,
      mfa_enabled: secret !== null,
      activation: null,
      mfa: secret
        ? {
            secret_enc: keys.seal(secret),
            pending_secret_enc: null,
            pending_id: null,
            last_step: null,
            recovery_hashes: [],
            recovery_pepper_enc: null,
          }
        : null,
      email_change: null,
      created_at: legacy.created_at ?? objectIdTime(row.id),
    },
  };
}

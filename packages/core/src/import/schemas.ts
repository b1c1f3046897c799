import { z } from "zod";
import { describeHash } from "../password/legacy-hashes";
import { createUserInputSchema, objectIdSchema, roles } from "../users/schemas";

/** At most this many users per import call. */
export const maxImportBatch = 1_000;

const { username, first_name, last_name, email, gender } = createUserInputSchema.shape;

/** A TOTP secret in base32 (RFC 4648; spaces and lowercase accepted), at least 80 bits. */
export const importedTotpSecretSchema = z
  .string()
  .transform((value) => value.replace(/\s+/g, "").replace(/=+$/, "").toUpperCase())
  .pipe(
    z
      .string()
      .regex(/^[A-Z2-7]+$/, "must be base32 (A-Z, 2-7)")
      .min(16, "must be at least 16 base32 characters (80 bits)")
      .max(128, "must be at most 128 base32 characters"),
  );

/** A password hash in one of the supported formats (see password/legacy-hashes.ts). */
export const importedPasswordHashSchema = z
  .string()
  .max(1_024, "must be at most 1024 characters")
  .superRefine((hash, ctx) => {
    const described = describeHash(hash);
    if (!described.ok) ctx.addIssue({ code: "custom", message: described.reason });
  })
  .meta({
    description:
      "argon2 PHC string, bcrypt ($2a$/$2b$/$2y$, cost 4..14), Werkzeug `scrypt:N:r:p$salt$hex` or `pbkdf2:sha256|sha1:ITERATIONS$salt$hex`, or Django `pbkdf2_sha256$ITERATIONS$salt$base64`",
    example:
      "scrypt:32768:8:1$TmJhN7nIWu9adNnL$c6b6a1fe447f098e4d426477a4373351f8bb7e8dc39fa71eeef2a3c1b484a527a7386216f26c4f4feda193e92ceb93d386308a70d3fab31afcc9a4cd80beb77d",
  });

/** One user of an import batch, checked on its own (a bad row does not fail the batch). */
export const importUserSchema = z.strictObject({
  id: objectIdSchema
    .optional()
    .meta({ description: "Kept as the user's id (24 hex characters); a fresh one when absent" }),
  username,
  email,
  first_name,
  last_name,
  gender,
  role: z.enum(roles).default("user"),
  is_active: z.boolean().default(true),
  mfa_secret: importedTotpSecretSchema.nullish().meta({
    description: "The user's TOTP secret (base32): stored sealed, MFA on, no recovery codes",
  }),
  password_hash: importedPasswordHashSchema,
});

export type ImportUserInput = z.infer<typeof importUserSchema>;

/** POST /api/users/import: each row is validated separately, so the rows are any values here. */
export const importUsersInputSchema = z.strictObject({
  users: z
    .array(importUserSchema.or(z.unknown()))
    .min(1, "must hold at least one user")
    .max(maxImportBatch, `must hold at most ${maxImportBatch} users`)
    .meta({
      description: `1..${maxImportBatch} users; each is created, skipped (duplicate) or invalid on its own`,
    }),
});

export type ImportUsersInput = { users: readonly unknown[] };

export const importResultSchema = z.object({
  index: z.number().int().meta({ description: "The row's position in `users`" }),
  id: objectIdSchema.optional(),
  status: z.enum(["created", "skipped", "invalid"]),
  reason: z
    .string()
    .optional()
    .meta({ example: "username: This username is already taken; choose another." }),
});

export const importUsersOutputSchema = z.object({
  results: z.array(importResultSchema),
  created: z.number().int(),
  skipped: z.number().int(),
  invalid: z.number().int(),
});

export type ImportResult = z.infer<typeof importResultSchema>;
export type ImportUsersOutput = z.infer<typeof importUsersOutputSchema>;

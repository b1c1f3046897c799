import { z } from "zod";

/** Genders a user may declare (the original service's example uses "Male"). */
export const genders = ["Male", "Female", "Other", "Unspecified"] as const;
/** Roles a user may hold; new users default to "user". */
export const roles = ["user", "admin"] as const;

/** No control characters (C0, DEL, C1): a pattern, so that the OpenAPI document says it too. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
export const noControlCharacters = /^[^\u0000-\u001F\u007F-\u009F]*$/;

/** A MongoDB ObjectId as 24 hex characters. */
export const objectIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{24}$/, "must be a 24-character hexadecimal id")
  .meta({ example: "63a1f1234abc5678def12345" });

export const usernameSchema = z
  .string()
  .trim()
  .min(3, "must be at least 3 characters")
  .max(32, "must be at most 32 characters")
  .regex(/^[A-Za-z0-9._-]+$/, "may contain only letters, digits, '.', '_' and '-'")
  .meta({ example: "johndoe" });

export const emailSchema = z
  .string()
  .trim()
  .max(254, "must be at most 254 characters")
  // A format check on the string itself (not a pipe), so the OpenAPI document says "email".
  .email("must be a valid email address")
  .refine((value) => (value.split("@")[0] ?? "").length <= 64, "must have at most 64 characters before the @")
  .meta({ example: "john@example.com" });

const nameSchema = (example: string) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(64, "must be at most 64 characters")
    .regex(noControlCharacters, "must not contain control characters")
    .meta({ example });

/**
 * A new password: 8 to 128 characters, as typed and in NFKC form. Its strength (zxcvbn,
 * PASSWORD_MIN_SCORE) is judged by the use case, which knows the account's words.
 */
export const passwordSchema = z
  .string()
  .min(8, "must be at least 8 characters")
  .max(128, "must be at most 128 characters")
  .refine(
    (value) => value.normalize("NFKC").length <= 128,
    "must be at most 128 characters (NFKC-normalised)",
  )
  .meta({
    description:
      "8 to 128 characters; must reach PASSWORD_MIN_SCORE on zxcvbn's 0-4 scale (else 400 WEAK_PASSWORD), and must not be built from the username, email or names",
    example: "Tulip-Kettle-Orbit-42",
  });

/** A username or an email address. */
export const identifierSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(254, "must be at most 254 characters")
  .regex(noControlCharacters, "must not contain control characters")
  .meta({ description: "A username or an email address", example: "john@example.com" });

/** A BCP 47 language tag (`de`, `pt-BR`), stored in its canonical form. */
export const localeSchema = z
  .string()
  .trim()
  .max(35, "must be at most 35 characters")
  .transform((value, ctx) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(value);
      if (canonical) return canonical;
    } catch {}
    ctx.addIssue({ code: "custom", message: "must be a BCP 47 language tag (e.g. en, de, pt-BR)" });
    return z.NEVER;
  })
  .meta({
    description:
      "The language of the user's emails, a BCP 47 tag (canonicalised: `de-at` becomes `de-AT`); falls back to its language, then to the service's default",
    example: "de",
  });

/** POST /api/users/ */
export const createUserInputSchema = z
  .strictObject({
    username: usernameSchema,
    first_name: nameSchema("John"),
    last_name: nameSchema("Doe"),
    email: emailSchema,
    password: passwordSchema,
    password_confirmation: z
      .string()
      .max(128, "must be at most 128 characters")
      .meta({ example: "Tulip-Kettle-Orbit-42" }),
    gender: z.enum(genders),
    role: z.enum(roles).default("user"),
    locale: localeSchema.optional(),
  })
  .superRefine((input, ctx) => {
    if (input.password !== input.password_confirmation) {
      ctx.addIssue({ code: "custom", path: ["password_confirmation"], message: "must match password" });
    }
    const lowered = input.password.toLowerCase();
    if (lowered === input.username.toLowerCase() || lowered === input.email.toLowerCase()) {
      ctx.addIssue({ code: "custom", path: ["password"], message: "must not be the username or the email" });
    }
  })
  .meta({
    id: "CreateUser",
    example: {
      username: "johndoe",
      first_name: "John",
      last_name: "Doe",
      email: "john@example.com",
      password: "Tulip-Kettle-Orbit-42",
      password_confirmation: "Tulip-Kettle-Orbit-42",
      gender: "Male",
      role: "user",
    },
  });

export type CreateUserInput = z.output<typeof createUserInputSchema>;

/** The token of a one-click link from an email (`?token=...`): the use case judges it. */
export const linkTokenSchema = z
  .string()
  .min(1, "must not be empty")
  .max(128, "is not a token from this service")
  .meta({
    description: "The `token` query parameter of the emailed link",
    example: "63a1f1234abc5678def12345.q3mF0Xw8bW5yQ2l4cU1pVjZ0cHlKc0ZxR1pJbWd2TkU",
  });

/** Which of two ways of proving an emailed code was sent: the `token` alone, or the listed fields. */
export const eitherTokenOr =
  (fields: readonly string[]) => (input: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (input.token !== undefined) {
      for (const field of fields)
        if (input[field] !== undefined)
          ctx.addIssue({ code: "custom", path: [field], message: "must not be sent with token" });
      return;
    }
    for (const field of fields)
      if (input[field] === undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `is required (or send token alone)` });
  };

/** The use case's view of an activation: the code with the identifier, or the link's token. */
export type ActivateUserInput = { identifier: string; code: string } | { token: string };

/** PATCH /api/users/activation: `{ identifier, code }` or `{ token }`. */
export const activateUserInputSchema = z
  .strictObject({
    identifier: identifierSchema.optional(),
    code: z
      .string()
      .regex(/^\d{6}$/, "must be the 6 digits from the email")
      .optional()
      .meta({ description: "The 6-digit code from the email (with identifier)", example: "042917" }),
    token: linkTokenSchema.optional(),
  })
  .superRefine(eitherTokenOr(["identifier", "code"]))
  .transform(
    (input): ActivateUserInput =>
      input.token !== undefined
        ? { token: input.token }
        : { identifier: input.identifier ?? "", code: input.code ?? "" },
  )
  .meta({
    id: "ActivateUser",
    description:
      "Either `identifier` and `code` (the 6 digits from the email), or `token` alone (from the email's one-click link).",
    examples: [
      { identifier: "johndoe", code: "042917" },
      { token: "63a1f1234abc5678def12345.q3mF0Xw8bW5yQ2l4cU1pVjZ0cHlKc0ZxR1pJbWd2TkU" },
    ],
  });

/** The public view of a user: never a hash, code, token or secret. */
export const userSchema = z
  .object({
    id: objectIdSchema,
    username: z.string().meta({ example: "johndoe" }),
    first_name: z.string().meta({ example: "John" }),
    last_name: z.string().meta({ example: "Doe" }),
    email: z.string().meta({ example: "john@example.com" }),
    gender: z.enum(genders),
    role: z.enum(roles),
    is_active: z.boolean(),
    mfa_enabled: z.boolean(),
    locale: z.string().nullable().meta({
      description: "The language of the user's emails (BCP 47); null: the service's default",
      example: "de",
    }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: "User" });

export type User = z.infer<typeof userSchema>;

/** A confirmation with a human-readable message. */
export const messageSchema = z.object({ message: z.string() }).meta({ id: "Message" });

/** Lower-cased, trimmed copy of a username or email: what uniqueness and lookups use. */
export function normalizeKey(value: string): string {
  return value.trim().toLowerCase();
}

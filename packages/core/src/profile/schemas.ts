import { z } from "zod";
import { givenPasswordSchema, secondFactorSchema } from "../login/schemas";
import {
  eitherTokenOr,
  emailSchema,
  genders,
  linkTokenSchema,
  localeSchema,
  noControlCharacters,
  objectIdSchema,
  roles,
  userSchema,
} from "../users/schemas";

const nameField = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(noControlCharacters, "must not contain control characters");

/** GET /api/users/ (query string; booleans as "true"/"false"). */
export const listUsersInputSchema = z.strictObject({
  limit: z.coerce.number().int().min(1, "must be 1-100").max(100, "must be 1-100").default(20),
  cursor: z.string().max(200, "is not a cursor from this API").optional().meta({
    description: "`next_cursor` of the previous page",
  }),
  q: z.string().trim().min(1).max(64, "must be at most 64 characters").optional().meta({
    description: "Case-insensitive prefix of username, email, first or last name",
  }),
  is_active: z.enum(["true", "false"]).optional(),
  role: z.enum(roles).optional(),
});

export const userPageSchema = z
  .object({
    items: z.array(userSchema),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: "Pass as `cursor` for the next page; null at the end" }),
  })
  .meta({ id: "UserPage" });

/** PATCH /api/users/id */
export const updateUserInputSchema = z
  .strictObject({
    id: objectIdSchema,
    first_name: nameField.optional(),
    last_name: nameField.optional(),
    gender: z.enum(genders).optional(),
    role: z.enum(roles).optional(),
    locale: localeSchema.nullable().optional().meta({
      description: "The language of the user's emails (BCP 47); null: back to the service's default",
      example: "de",
    }),
  })
  .refine((input) => Object.keys(input).length > 1, {
    message: "change at least one of first_name, last_name, gender, role, locale",
  })
  .meta({ id: "UpdateUser" });

/** The current password, asked again before a sensitive change. */
export const currentPasswordSchema = givenPasswordSchema.meta({
  description: "The user's current password (a wrong one counts as a failed login)",
  example: "Password1!",
});

/** POST /api/users/email/change */
export const changeEmailInputSchema = z
  .strictObject({
    id: objectIdSchema,
    new_email: emailSchema,
    current_password: currentPasswordSchema,
    totp_code: secondFactorSchema,
  })
  .meta({
    id: "ChangeEmail",
    example: {
      id: "63a1f1234abc5678def12345",
      new_email: "john.new@example.com",
      current_password: "Password1!",
    },
  });

/** The use case's view of a confirmation: the code with the user's id, or the link's token. */
export type ConfirmEmailInput = { id: string; code: string } | { token: string };

/** PATCH /api/users/email/confirm: `{ id, code }` or `{ token }`. */
export const confirmEmailInputSchema = z
  .strictObject({
    id: objectIdSchema.optional(),
    code: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "must be the 6 digits sent to the new address")
      .optional()
      .meta({ description: "The 6-digit code sent to the new address (with id)", example: "042917" }),
    token: linkTokenSchema.optional(),
  })
  .superRefine(eitherTokenOr(["id", "code"]))
  .transform(
    (input): ConfirmEmailInput =>
      input.token !== undefined ? { token: input.token } : { id: input.id ?? "", code: input.code ?? "" },
  )
  .meta({
    id: "ConfirmEmail",
    description:
      "Either `id` and `code` (the 6 digits sent to the new address), or `token` alone (from that email's one-click link).",
    examples: [
      { id: "63a1f1234abc5678def12345", code: "042917" },
      { token: "63a1f1234abc5678def12345.q3mF0Xw8bW5yQ2l4cU1pVjZ0cHlKc0ZxR1pJbWd2TkU" },
    ],
  });

/** POST /api/users/email/revert */
export const revertEmailInputSchema = z.strictObject({ token: linkTokenSchema }).meta({
  id: "RevertEmail",
  description: 'The `token` of the link in the "email changed" notice sent to the old address.',
});

export type ListUsersInput = z.output<typeof listUsersInputSchema>;
export type UpdateUserInput = z.output<typeof updateUserInputSchema>;

import { z } from "zod";
import {
  emailSchema,
  genders,
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
  })
  .refine((input) => Object.keys(input).length > 1, {
    message: "change at least one of first_name, last_name, gender, role",
  })
  .meta({ id: "UpdateUser" });

/** POST /api/users/email/change */
export const changeEmailInputSchema = z
  .strictObject({ id: objectIdSchema, new_email: emailSchema })
  .meta({ id: "ChangeEmail" });

/** PATCH /api/users/email/confirm */
export const confirmEmailInputSchema = z
  .strictObject({
    id: objectIdSchema,
    code: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "must be the 6 digits sent to the new address"),
  })
  .meta({ id: "ConfirmEmail" });

export type ListUsersInput = z.output<typeof listUsersInputSchema>;
export type UpdateUserInput = z.output<typeof updateUserInputSchema>;

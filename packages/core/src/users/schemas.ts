import { z } from "zod";

/** Genders a user may declare (the original service's example uses "Male"). */
export const genders = ["Male", "Female", "Other", "Unspecified"] as const;
/** Roles a user may hold; new users default to "user". */
export const roles = ["user", "admin"] as const;

/** A MongoDB ObjectId as 24 hex characters. */
export const objectIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{24}$/, "must be a 24-character hexadecimal id")
  .meta({ example: "63a1f1234abc5678def12345" });

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
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: "User" });

export type User = z.infer<typeof userSchema>;

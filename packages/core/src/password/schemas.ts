import { z } from "zod";
import { givenPasswordSchema, secondFactorSchema } from "../login/schemas";
import { identifierSchema, objectIdSchema, passwordSchema } from "../users/schemas";

const confirmationSchema = z
  .string()
  .max(128, "must be at most 128 characters")
  .meta({ example: "Tulip-Kettle-Orbit-42" });

const confirmationMatches = (
  input: { password: string; password_confirmation: string },
  ctx: z.RefinementCtx,
) => {
  if (input.password !== input.password_confirmation) {
    ctx.addIssue({ code: "custom", path: ["password_confirmation"], message: "must match password" });
  }
};

/** POST /api/users/password/forgot */
export const forgotPasswordInputSchema = z
  .strictObject({ identifier: identifierSchema })
  .meta({ id: "ForgotPassword" });

/** POST /api/users/password/reset */
export const resetPasswordInputSchema = z
  .strictObject({
    token: z
      .string()
      .min(1, "must not be empty")
      .max(128, "is not a valid token")
      .meta({ description: "From the emailed link" }),
    password: passwordSchema,
    password_confirmation: confirmationSchema,
  })
  .superRefine(confirmationMatches)
  .meta({ id: "ResetPassword" });

/** POST /api/users/password/change */
export const changePasswordInputSchema = z
  .strictObject({
    id: objectIdSchema,
    current_password: givenPasswordSchema,
    password: passwordSchema,
    password_confirmation: confirmationSchema,
    totp_code: secondFactorSchema,
  })
  .superRefine(confirmationMatches)
  .meta({ id: "ChangePassword" });

export type ResetPasswordInput = z.output<typeof resetPasswordInputSchema>;
export type ChangePasswordInput = z.output<typeof changePasswordInputSchema>;

export const forgotPasswordMessage = "If the email exists, a reset link has been sent.";

/** POST /api/users/password/strength */
export const passwordStrengthInputSchema = z
  .strictObject({
    password: z
      .string()
      .min(1, "must not be empty")
      .max(128, "must be at most 128 characters")
      // As for new passwords: NFKC can make a character 18, and the policy works on that form.
      .refine(
        (value) => value.normalize("NFKC").length <= 128,
        "must be at most 128 characters (NFKC-normalised)",
      )
      .meta({ description: "The candidate; never stored or logged", example: "Tulip-Kettle-Orbit-42" }),
    user_inputs: z
      .array(
        z
          .string()
          .max(254, "must be at most 254 characters")
          .refine(
            (value) => value.normalize("NFKC").length <= 254,
            "must be at most 254 characters (NFKC-normalised)",
          ),
      )
      // Bounded so that the largest valid body stays well under BODY_LIMIT_BYTES' default.
      .max(6, "must have at most 6 entries")
      .optional()
      .meta({
        description:
          "Words of the future owner that must not make the password (username, email, first and last name): they count for nothing",
        example: ["johndoe", "john@example.com", "John", "Doe"],
      }),
  })
  .meta({
    id: "PasswordStrengthCheck",
    example: {
      password: "Tulip-Kettle-Orbit-42",
      user_inputs: ["johndoe", "john@example.com", "John", "Doe"],
    },
  });

/** What the strength route answers. */
export const passwordStrengthSchema = z
  .object({
    score: z
      .number()
      .int()
      .min(0)
      .max(4)
      .meta({ description: "zxcvbn's score: 0 too guessable .. 4 very unguessable" }),
    min_score: z
      .number()
      .int()
      .min(0)
      .max(4)
      .meta({ description: "The score new passwords need (PASSWORD_MIN_SCORE)" }),
    acceptable: z.boolean().meta({ description: "True when registration, reset and change would accept it" }),
    warning: z.string().nullable().meta({ description: "What makes it weak, if anything" }),
    suggestions: z.array(z.string()).meta({ description: "How to make it stronger" }),
  })
  .meta({
    id: "PasswordStrength",
    example: {
      score: 1,
      min_score: 3,
      acceptable: false,
      warning: "This is similar to a commonly used password.",
      suggestions: ["Add more words that are less common."],
    },
  });

export type PasswordStrengthInput = z.output<typeof passwordStrengthInputSchema>;
export type PasswordStrength = z.output<typeof passwordStrengthSchema>;

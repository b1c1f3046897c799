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

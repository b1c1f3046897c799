import { z } from "zod";
import { identifierSchema, objectIdSchema, passwordSchema } from "../users/schemas";

/** A password as typed at login: any text up to the policy's maximum (argon2 never sees more). */
const givenPasswordSchema = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .meta({ example: "Password1!" });

const confirmationSchema = z
  .string()
  .max(128, "must be at most 128 characters")
  .meta({ example: "NewPassword1!" });

const confirmationMatches = (
  input: { password: string; password_confirmation: string },
  ctx: z.RefinementCtx,
) => {
  if (input.password !== input.password_confirmation) {
    ctx.addIssue({ code: "custom", path: ["password_confirmation"], message: "must match password" });
  }
};

/** A TOTP code or a recovery code; required when the user has MFA enabled. */
const secondFactorSchema = z
  .string()
  .trim()
  .min(6, "must be the 6-digit code or a recovery code")
  .max(32, "must be the 6-digit code or a recovery code")
  .optional()
  .meta({ description: "Required when the user has MFA enabled", example: "123456" });

/** POST /api/users/auth/check */
export const checkCredentialsInputSchema = z
  .strictObject({
    identifier: identifierSchema,
    password: givenPasswordSchema,
    totp_code: secondFactorSchema,
  })
  .meta({ id: "CheckCredentials" });

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

export type CheckCredentialsInput = z.output<typeof checkCredentialsInputSchema>;
export type ResetPasswordInput = z.output<typeof resetPasswordInputSchema>;
export type ChangePasswordInput = z.output<typeof changePasswordInputSchema>;

export const forgotPasswordMessage = "If the email exists, a reset link has been sent.";

import { z } from "zod";
import { identifierSchema } from "../users/schemas";

/** A password as typed at login: any text up to the policy's maximum (argon2 never sees more). */
export const givenPasswordSchema = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .meta({ example: "Password1!" });

/** A TOTP code or a recovery code; required when the user has MFA enabled. */
export const secondFactorSchema = z
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

export type CheckCredentialsInput = z.output<typeof checkCredentialsInputSchema>;

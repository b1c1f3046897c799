import { z } from "zod";
import { currentPasswordSchema } from "../profile/schemas";
import { objectIdSchema } from "../users/schemas";

const codeSchema = z
  .string()
  .trim()
  .min(6, "must be the 6-digit code or a recovery code")
  .max(32, "must be the 6-digit code or a recovery code")
  .meta({ description: "A 6-digit TOTP code, or a recovery code", example: "123456" });

/** PATCH /api/users/mfa/enable */
export const enableMfaInputSchema = z
  .strictObject({ id: objectIdSchema, current_password: currentPasswordSchema })
  .meta({ id: "EnableMfa", example: { id: "63a1f1234abc5678def12345", current_password: "Password1!" } });

/** PATCH /api/users/mfa/confirm */
export const confirmMfaInputSchema = z
  .strictObject({
    id: objectIdSchema,
    code: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "must be the 6-digit code from the authenticator app"),
  })
  .meta({ id: "ConfirmMfa" });

/** PATCH /api/users/mfa/disable */
export const disableMfaInputSchema = z
  .strictObject({ id: objectIdSchema, current_password: currentPasswordSchema, code: codeSchema })
  .meta({
    id: "DisableMfa",
    example: { id: "63a1f1234abc5678def12345", current_password: "Password1!", code: "123456" },
  });

/** GET /api/users/mfa/qr */
export const mfaQrInputSchema = z.strictObject({ id: objectIdSchema });

export const mfaQrSchema = z
  .object({
    qr_code: z.string().meta({ description: "PNG data URL of a QR code encoding otpauth_url" }),
    otpauth_url: z.string().meta({
      example: "otpauth://totp/Users%20Service:john%40example.com?secret=...&issuer=Users%20Service",
    }),
  })
  .meta({ id: "MfaQr" });

export const mfaEnrolmentSchema = mfaQrSchema
  .extend({ secret: z.string().meta({ description: "Base32 secret, for manual entry" }) })
  .meta({ id: "MfaEnrolment" });

export const recoveryCodesSchema = z
  .object({
    recovery_codes: z
      .array(z.string())
      .meta({ description: "10 single-use codes, shown only now", example: ["K7QX2-M9PDA", "..."] }),
  })
  .meta({ id: "RecoveryCodes" });

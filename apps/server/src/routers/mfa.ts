import {
  confirmMfaInputSchema,
  disableMfaInputSchema,
  enableMfaInputSchema,
  mfaEnrolmentSchema,
  mfaQrInputSchema,
  mfaQrSchema,
  recoveryCodesSchema,
  type UseCases,
  userSchema,
} from "@usersvc/core";
import { type createApiProcedure, hashBusyResponse, t } from "../trpc";

export type MfaProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  useCases: UseCases;
};

const tags = ["mfa"];

/** TOTP enrolment and removal (`users.mfa.*`). */
export function createMfaProcedures({ apiProcedure, useCases }: MfaProcedureDeps) {
  return {
    mfa: t.router({
      enable: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "PATCH",
            path: "/users/mfa/enable",
            tags,
            summary: "Start TOTP enrolment: secret, otpauth URL and QR code",
            description:
              "Needs `current_password` (a wrong one counts as a failed login). MFA is enforced only after mfa/confirm verifies a first code. Calling it again while pending replaces the pending secret.",
            errorResponses: {
              400: "VALIDATION_ERROR",
              401: "INVALID_CREDENTIALS or INVALID_API_KEY",
              403: "PASSWORD_RESET_REQUIRED (the right password, locked by an email-change revert)",
              404: "USER_NOT_FOUND",
              409: "MFA_ALREADY_ENABLED",
              429: "TOO_MANY_ATTEMPTS (password throttle)",
              ...hashBusyResponse,
            },
          },
        })
        .input(enableMfaInputSchema)
        .output(mfaEnrolmentSchema)
        .mutation(({ input, ctx }) => useCases.mfaEnrolment.enable(input, { clientIp: ctx.clientIp })),

      confirm: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "PATCH",
            path: "/users/mfa/confirm",
            tags,
            summary: "Turn MFA on with a first code; returns 10 recovery codes, once",
            description: "The user gets a notice email (MFA on, a new set of recovery codes issued).",
            errorResponses: {
              400: "VALIDATION_ERROR",
              401: "INVALID_MFA_CODE or INVALID_API_KEY",
              404: "USER_NOT_FOUND",
              409: "MFA_ALREADY_ENABLED or MFA_NOT_PENDING",
              429: "TOO_MANY_ATTEMPTS",
            },
          },
        })
        .input(confirmMfaInputSchema)
        .output(recoveryCodesSchema)
        .mutation(({ input }) => useCases.mfaEnrolment.confirm(input)),

      qr: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "GET",
            path: "/users/mfa/qr",
            tags,
            summary: "QR code and otpauth URL of the pending enrolment",
            description: "Only while enrolment is pending: once MFA is on, the secret is never shown again.",
            errorResponses: {
              400: "VALIDATION_ERROR",
              401: "INVALID_API_KEY",
              404: "USER_NOT_FOUND",
              409: "MFA_ALREADY_ENABLED or MFA_NOT_PENDING",
            },
          },
        })
        .input(mfaQrInputSchema)
        .output(mfaQrSchema)
        .query(({ input }) => useCases.mfaEnrolment.qr(input.id)),

      disable: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "PATCH",
            path: "/users/mfa/disable",
            tags,
            summary: "Turn MFA off with the current password and a TOTP or recovery code",
            description:
              "Needs `current_password` (a wrong one counts as a failed login) and `code`. Wipes the secret and the recovery codes; the user gets a notice email.",
            errorResponses: {
              400: "VALIDATION_ERROR",
              401: "INVALID_CREDENTIALS, INVALID_MFA_CODE or INVALID_API_KEY",
              403: "PASSWORD_RESET_REQUIRED (the right password, locked by an email-change revert)",
              404: "USER_NOT_FOUND",
              409: "MFA_NOT_ENABLED",
              429: "TOO_MANY_ATTEMPTS (password or second-factor throttle)",
              ...hashBusyResponse,
            },
          },
        })
        .input(disableMfaInputSchema)
        .output(userSchema)
        .mutation(({ input, ctx }) => useCases.disableMfa(input, { clientIp: ctx.clientIp })),
    }),
  };
}

import {
  changePasswordInputSchema,
  checkCredentialsInputSchema,
  forgotPasswordInputSchema,
  messageSchema,
  resetPasswordInputSchema,
  type UseCases,
  userSchema,
} from "@usersvc/core";
import { type createApiProcedure, hashBusyResponse, t } from "../trpc";
import { createLoginCodeProcedures, createPasswordStrengthProcedure } from "./login-codes";

export type AuthProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  useCases: UseCases;
};

const throttled = { 429: "TOO_MANY_ATTEMPTS (see Retry-After); no password is checked while locked" };

/** Login checks (`users.auth.*`) and password recovery (`users.password.*`). */
export function createAuthProcedures({ apiProcedure, useCases }: AuthProcedureDeps) {
  return {
    auth: t.router({
      check: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "POST",
            path: "/users/auth/check",
            tags: ["auth"],
            summary: "Verify login credentials",
            description:
              "200 with the user when the password (and, with MFA on, the code) is right. Wrong password and unknown identifier answer the same 401 at the same cost; USER_NOT_ACTIVE and MFA_REQUIRED only after a right password. Failures are throttled per account and per client IP.",
            errorResponses: {
              400: "VALIDATION_ERROR",
              401: "INVALID_CREDENTIALS, MFA_REQUIRED or INVALID_API_KEY",
              403: "USER_NOT_ACTIVE, or PASSWORD_RESET_REQUIRED (password locked by an email-change revert); only after a right password",
              ...throttled,
              ...hashBusyResponse,
            },
          },
        })
        .input(checkCredentialsInputSchema)
        .output(userSchema)
        .mutation(({ input, ctx }) => useCases.checkCredentials(input, { clientIp: ctx.clientIp })),
      code: t.router(createLoginCodeProcedures({ apiProcedure, useCases })),
    }),
    password: t.router({
      forgot: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "POST",
            path: "/users/password/forgot",
            tags: ["password"],
            summary: "Email a password reset link",
            description:
              "Always the same answer, whether or not the account exists. At most one email per RESET_PASSWORD_COOLDOWN_SECONDS per account; the link (RESET_PASSWORD_URL?token=...) works once, for RESET_PASSWORD_EXPIRATION_MINUTES.",
            errorResponses: { 400: "VALIDATION_ERROR", 401: "INVALID_API_KEY" },
          },
        })
        .input(forgotPasswordInputSchema)
        .output(messageSchema)
        .mutation(({ input }) => useCases.forgotPassword(input.identifier)),

      reset: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "POST",
            path: "/users/password/reset",
            tags: ["password"],
            summary: "Set a new password with the emailed token",
            description:
              "Ends every other outstanding reset of the account and its login lockout, and emails a notice.",
            errorResponses: {
              400: "VALIDATION_ERROR, WEAK_PASSWORD (advice in issues) or INVALID_OR_EXPIRED_TOKEN (unknown, expired and used tokens alike)",
              401: "INVALID_API_KEY",
              ...hashBusyResponse,
            },
          },
        })
        .input(resetPasswordInputSchema)
        .output(messageSchema)
        .mutation(({ input }) => useCases.resetPassword(input)),

      change: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "POST",
            path: "/users/password/change",
            tags: ["password"],
            summary: "Change a password given the current one",
            description: "A wrong current password counts as a failed login for throttling.",
            errorResponses: {
              400: "VALIDATION_ERROR or WEAK_PASSWORD (advice in issues)",
              401: "INVALID_CREDENTIALS or INVALID_API_KEY",
              403: "PASSWORD_RESET_REQUIRED (password locked by an email-change revert: only a reset unlocks it)",
              404: "USER_NOT_FOUND",
              ...throttled,
              ...hashBusyResponse,
            },
          },
        })
        .input(changePasswordInputSchema)
        .output(messageSchema)
        .mutation(({ input, ctx }) => useCases.changePassword(input, { clientIp: ctx.clientIp })),
      strength: createPasswordStrengthProcedure({ apiProcedure, useCases }),
    }),
  };
}

import {
  changeEmailInputSchema,
  confirmEmailInputSchema,
  listUsersInputSchema,
  messageSchema,
  revertEmailInputSchema,
  type UseCases,
  updateUserInputSchema,
  userPageSchema,
  userSchema,
} from "@usersvc/core";
import { type createApiProcedure, hashBusyResponse, t } from "../trpc";

export type ManagementProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  useCases: UseCases;
};

const tags = ["management"];

/** Back-office procedures: list/search, profile updates, email change. */
export function createManagementProcedures({ apiProcedure, useCases }: ManagementProcedureDeps) {
  return {
    list: apiProcedure
      .meta({
        scope: "users:read",
        openapi: {
          method: "GET",
          path: "/users",
          tags,
          summary: "List users, newest first (cursor pagination, filters, prefix search)",
          description:
            "`limit` 1-100 (default 20); pass `next_cursor` as `cursor` for the next page. `q` matches the start of username, email, first or last name, ignoring case.",
          errorResponses: { 400: "VALIDATION_ERROR (including a foreign cursor)", 401: "INVALID_API_KEY" },
        },
      })
      .input(listUsersInputSchema)
      .output(userPageSchema)
      .query(({ input }) => useCases.listUsers(input)),

    update: apiProcedure
      .meta({
        scope: "users:write",
        // Any role change (promotion or demotion) needs the admin scope.
        fieldScopes: { role: { scope: "admin" } },
        openapi: {
          method: "PATCH",
          path: "/users/id",
          tags,
          summary: "Update a user's profile (names, gender, role, email locale)",
          errorResponses: { 400: "VALIDATION_ERROR", 401: "INVALID_API_KEY", 404: "USER_NOT_FOUND" },
        },
      })
      .input(updateUserInputSchema)
      .output(userSchema)
      .mutation(({ input }) => useCases.updateProfile(input)),

    email: t.router({
      change: apiProcedure
        .meta({
          scope: "users:write",
          openapi: {
            method: "POST",
            path: "/users/email/change",
            tags,
            summary: "Start an email change: a 6-digit code and a one-click link go to the new address",
            description:
              "Needs `current_password` (a wrong one counts as a failed login) and, with MFA on, `totp_code`. A new code may be requested once the pending one is ACTIVATION_RESEND_COOLDOWN_SECONDS old, doubling with each new code of the day.",
            errorResponses: {
              400: "VALIDATION_ERROR",
              401: "INVALID_CREDENTIALS, MFA_REQUIRED, INVALID_MFA_CODE or INVALID_API_KEY",
              403: "PASSWORD_RESET_REQUIRED (the right password, locked by an email-change revert)",
              404: "USER_NOT_FOUND",
              409: "EMAIL_TAKEN",
              429: "TOO_MANY_ATTEMPTS (password or second-factor throttle, or a code requested within the cooldown)",
              ...hashBusyResponse,
            },
          },
        })
        .input(changeEmailInputSchema)
        .output(messageSchema)
        .mutation(({ input, ctx }) => useCases.requestEmailChange(input, { clientIp: ctx.clientIp })),

      confirm: apiProcedure
        .meta({
          scope: "users:write",
          openapi: {
            method: "PATCH",
            path: "/users/email/confirm",
            tags,
            summary: "Confirm an email change with the code or the link; the old address gets a notice",
            description:
              "Send `{ id, code }` or `{ token }` (from the email's one-click link, which takes no try of the code). Every refusal is the same 400 INVALID_EMAIL_CODE: unknown user, nothing pending, wrong, expired or used-up code, over the daily bound. The old address gets a notice with a link that reverts the change for 7 days (email/revert).",
            errorResponses: {
              400: "VALIDATION_ERROR or INVALID_EMAIL_CODE (all refusals alike)",
              401: "INVALID_API_KEY",
              409: "EMAIL_TAKEN (taken meanwhile)",
            },
          },
        })
        .input(confirmEmailInputSchema)
        .output(userSchema)
        .mutation(({ input }) => useCases.confirmEmailChange(input)),

      revert: apiProcedure
        .meta({
          scope: "users:write",
          openapi: {
            method: "POST",
            path: "/users/email/revert",
            tags,
            summary: "Revert an email change with the link sent to the old address",
            description:
              "Within 7 days of the change, once: restores the old address, ends reset links and any pending change, removes every passkey, and locks the password until it is reset (auth/check then answers 403 PASSWORD_RESET_REQUIRED to the right password).",
            errorResponses: {
              400: "VALIDATION_ERROR or INVALID_OR_EXPIRED_TOKEN (unknown, expired and used links alike)",
              401: "INVALID_API_KEY",
              409: "EMAIL_TAKEN (another account has the old address now; the password is locked all the same)",
            },
          },
        })
        .input(revertEmailInputSchema)
        .output(userSchema)
        .mutation(({ input }) => useCases.revertEmailChange(input)),
    }),
  };
}

import {
  changeEmailInputSchema,
  confirmEmailInputSchema,
  listUsersInputSchema,
  messageSchema,
  type UseCases,
  updateUserInputSchema,
  userPageSchema,
  userSchema,
} from "@usersvc/core";
import { type createApiProcedure, t } from "../trpc";

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
        openapi: {
          method: "PATCH",
          path: "/users/id",
          tags,
          summary: "Update a user's profile (names, gender, role)",
          errorResponses: { 400: "VALIDATION_ERROR", 401: "INVALID_API_KEY", 404: "USER_NOT_FOUND" },
        },
      })
      .input(updateUserInputSchema)
      .output(userSchema)
      .mutation(({ input }) => useCases.updateProfile(input)),

    email: t.router({
      change: apiProcedure
        .meta({
          openapi: {
            method: "POST",
            path: "/users/email/change",
            tags,
            summary: "Start an email change: a 6-digit code goes to the new address",
            errorResponses: {
              400: "VALIDATION_ERROR",
              401: "INVALID_API_KEY",
              404: "USER_NOT_FOUND",
              409: "EMAIL_TAKEN",
            },
          },
        })
        .input(changeEmailInputSchema)
        .output(messageSchema)
        .mutation(({ input }) => useCases.requestEmailChange(input)),

      confirm: apiProcedure
        .meta({
          openapi: {
            method: "PATCH",
            path: "/users/email/confirm",
            tags,
            summary: "Confirm an email change with the code; the old address gets a notice",
            errorResponses: {
              400: "VALIDATION_ERROR, INVALID_EMAIL_CODE, EMAIL_CODE_EXPIRED or EMAIL_CODE_LOCKED",
              401: "INVALID_API_KEY",
              404: "USER_NOT_FOUND",
              409: "EMAIL_CHANGE_NOT_PENDING or EMAIL_TAKEN (taken meanwhile)",
            },
          },
        })
        .input(confirmEmailInputSchema)
        .output(userSchema)
        .mutation(({ input }) => useCases.confirmEmailChange(input)),
    }),
  };
}

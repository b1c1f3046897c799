import {
  activateUserInputSchema,
  createUserInputSchema,
  identifierSchema,
  messageSchema,
  objectIdSchema,
  type UseCases,
  userSchema,
} from "@usersvc/core";
import { z } from "zod";
import { type createApiProcedure, hashBusyResponse } from "../trpc";

export type UserProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  useCases: UseCases;
};

const byId = z.strictObject({ id: objectIdSchema });
const byIdentifier = z.strictObject({ identifier: identifierSchema });
const tags = ["users"];

/** Registration, activation, lookup and deletion. Static REST paths only (see GOTCHAS.md). */
export function createUserProcedures({ apiProcedure, useCases }: UserProcedureDeps) {
  return {
    create: apiProcedure
      .meta({
        scope: "users:write",
        // Registering an admin is a role change: it needs the admin scope too.
        fieldScopes: { role: { scope: "admin", values: ["admin"] } },
        successStatus: 201,
        openapi: {
          method: "POST",
          path: "/users",
          tags,
          summary: "Register a user; the activation code is emailed",
          description:
            "Creates an inactive user and queues an email with a 6-digit activation code (valid USER_ACTIVATION_EXPIRATION_MINUTES). Answers 201 even while the mail server is down: the email goes out when it is back.",
          successDescription: "The new user (is_active: false)",
          errorResponses: {
            400: "VALIDATION_ERROR: see issues; WEAK_PASSWORD: the password is too easy to guess (zxcvbn's advice in issues)",
            401: "INVALID_API_KEY",
            409: "USERNAME_TAKEN or EMAIL_TAKEN (case-insensitive)",
            ...hashBusyResponse,
          },
        },
      })
      .input(createUserInputSchema)
      .output(userSchema)
      .mutation(({ input }) => useCases.registerUser(input)),

    activate: apiProcedure
      .meta({
        scope: "users:write",
        openapi: {
          method: "PATCH",
          path: "/users/activation",
          tags,
          summary: "Activate a user with the emailed code, or the token of the emailed link",
          description:
            "Send `{ identifier, code }` or `{ token }` (the `token` of the email's one-click link, which works whatever wrong codes others sent). A code and its link work until they expire (USER_ACTIVATION_EXPIRATION_MINUTES); a code dies after 5 tries, and an account takes at most 20 code tries a day. Every refusal is the same 400 INVALID_ACTIVATION_CODE, whether the account is unknown, pending or active; the right code or link of an already active account answers 200 again while it lives.",
          errorResponses: {
            400: "VALIDATION_ERROR or INVALID_ACTIVATION_CODE (wrong, expired, used up, over the daily bound, unknown account: all alike)",
            401: "INVALID_API_KEY",
          },
        },
      })
      .input(activateUserInputSchema)
      .output(userSchema)
      .mutation(({ input }) => useCases.activateUser(input)),

    resendActivation: apiProcedure
      .meta({
        scope: "users:write",
        openapi: {
          method: "GET",
          path: "/users/activation/resend",
          tags,
          summary: "Email a new activation code",
          description:
            "The previous code and link stop working. A code is replaced once it is ACTIVATION_RESEND_COOLDOWN_SECONDS old, doubling with each resend of the day (at most a day). Always the same answer, whether or not the account exists or is active.",
          errorResponses: { 400: "VALIDATION_ERROR", 401: "INVALID_API_KEY" },
        },
      })
      .input(byIdentifier)
      .output(messageSchema)
      .query(({ input }) => useCases.resendActivation(input.identifier)),

    byIdentifier: apiProcedure
      .meta({
        scope: "users:read",
        openapi: {
          method: "GET",
          path: "/users/identifier",
          tags,
          summary: "Get an active user by username or email",
          errorResponses: {
            400: "VALIDATION_ERROR",
            401: "INVALID_API_KEY",
            404: "USER_NOT_FOUND (or not active)",
          },
        },
      })
      .input(byIdentifier)
      .output(userSchema)
      .query(({ input }) => useCases.getActiveUserByIdentifier(input.identifier)),

    byId: apiProcedure
      .meta({
        scope: "users:read",
        openapi: {
          method: "GET",
          path: "/users/id",
          tags,
          summary: "Get a user by id (active or not)",
          errorResponses: {
            400: "VALIDATION_ERROR: malformed id",
            401: "INVALID_API_KEY",
            404: "USER_NOT_FOUND",
          },
        },
      })
      .input(byId)
      .output(userSchema)
      .query(({ input }) => useCases.getUserById(input.id)),

    deleteById: apiProcedure
      .meta({
        scope: "admin",
        openapi: {
          method: "DELETE",
          path: "/users/id",
          tags,
          summary: "Delete a user by id",
          errorResponses: {
            400: "VALIDATION_ERROR: malformed id",
            401: "INVALID_API_KEY",
            404: "USER_NOT_FOUND",
          },
        },
      })
      .input(byId)
      .output(messageSchema)
      .mutation(({ input }) => useCases.deleteUser({ id: input.id })),

    deleteByIdentifier: apiProcedure
      .meta({
        scope: "admin",
        openapi: {
          method: "DELETE",
          path: "/users/identifier",
          tags,
          summary: "Delete a user by username or email",
          errorResponses: { 400: "VALIDATION_ERROR", 401: "INVALID_API_KEY", 404: "USER_NOT_FOUND" },
        },
      })
      .input(byIdentifier)
      .output(messageSchema)
      .mutation(({ input }) => useCases.deleteUser({ identifier: input.identifier })),
  };
}

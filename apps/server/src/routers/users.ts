import { objectIdSchema, type User, userSchema } from "@usersvc/core";
import { z } from "zod";
import type { createApiProcedure } from "../trpc";

export type UserProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  users: { getUserById(id: string): Promise<User> };
};

/** Procedures on users (lookups, and later registration, activation, deletion). */
export function createUserProcedures({ apiProcedure, users }: UserProcedureDeps) {
  return {
    byId: apiProcedure
      .meta({
        openapi: {
          method: "GET",
          path: "/users/id",
          tags: ["users"],
          summary: "Get a user by id (active or not)",
          errorResponses: { 400: "Malformed id", 401: "Missing or invalid API key", 404: "No such user" },
        },
      })
      .input(z.object({ id: objectIdSchema }).strict())
      .output(userSchema)
      .query(({ input }) => users.getUserById(input.id)),
  };
}

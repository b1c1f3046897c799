import {
  importUsersInputSchema,
  importUsersOutputSchema,
  maxImportBatch,
  type UseCases,
} from "@usersvc/core";
import type { createApiProcedure } from "../trpc";

export type ImportProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  useCases: UseCases;
};

/** REST path and tRPC path of the import: the two that get `importBodyLimitBytes`. */
export const importPaths = { rest: "/api/users/import", trpc: "/trpc/users.import" } as const;

/**
 * The body limit of the import alone: 1,000 rows of up to ~1.7 KB each (a 1 KiB hash at
 * most) do not fit BODY_LIMIT_BYTES (16 KiB by default), which every other route keeps.
 */
export const importBodyLimitBytes = 2 * 1024 * 1024;

const example = {
  users: [
    {
      id: "63a1f1234abc5678def12345",
      username: "johndoe",
      email: "john@example.com",
      first_name: "John",
      last_name: "Doe",
      gender: "Male",
      role: "user",
      is_active: true,
      mfa_secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
      password_hash:
        "scrypt:32768:8:1$TmJhN7nIWu9adNnL$c6b6a1fe447f098e4d426477a4373351f8bb7e8dc39fa71eeef2a3c1b484a527a7386216f26c4f4feda193e92ceb93d386308a70d3fab31afcc9a4cd80beb77d",
    },
  ],
};

/** Bulk import of users made elsewhere, with their password hashes. */
export function createImportProcedures({ apiProcedure, useCases }: ImportProcedureDeps) {
  return {
    import: apiProcedure
      .meta({
        scope: "admin",
        openapi: {
          method: "POST",
          path: "/users/import",
          tags: ["management"],
          summary: "Import users with their existing password hashes (bulk, no emails)",
          description: `1..${maxImportBatch} users per call (a body of up to ${importBodyLimitBytes} bytes, whatever BODY_LIMIT_BYTES says). Each row is created, skipped (its id, username or email is taken, ignoring case, also by an earlier row of the batch) or invalid (with the reason: a schema problem or a password hash in no supported format); one bad row does not fail the others. \`password_hash\`: argon2 PHC, bcrypt $2a$/$2b$/$2y$, Werkzeug scrypt/pbkdf2 or Django pbkdf2_sha256, kept as it is and replaced with argon2id at the user's first login. \`mfa_secret\` (base32) is stored sealed and turns MFA on (no recovery codes). No email is sent. Example body: ${JSON.stringify(example)}`,
          successDescription: "One result per row, in order, and the counts",
          errorResponses: {
            400: `VALIDATION_ERROR: the body is not { users: [1..${maxImportBatch}] }`,
            401: "INVALID_API_KEY",
            413: `PAYLOAD_TOO_LARGE: over ${importBodyLimitBytes} bytes`,
          },
        },
      })
      .input(importUsersInputSchema)
      .output(importUsersOutputSchema)
      .mutation(({ input }) => useCases.importUsers(input)),
  };
}

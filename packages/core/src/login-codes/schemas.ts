import { z } from "zod";
import { secondFactorSchema } from "../login/schemas";
import { eitherTokenOr, identifierSchema, linkTokenSchema } from "../users/schemas";

/** POST /api/users/auth/code/request */
export const requestLoginCodeInputSchema = z
  .strictObject({ identifier: identifierSchema })
  .meta({ id: "RequestLoginCode", example: { identifier: "john@example.com" } });

export type RequestLoginCodeInput = z.output<typeof requestLoginCodeInputSchema>;

/** The use case's view of a login code: the code with the identifier, or the link's token. */
export type VerifyLoginCodeInput = ({ identifier: string; code: string } | { token: string }) & {
  totp_code?: string | undefined;
};

/** POST /api/users/auth/code/verify: `{ identifier, code }` or `{ token }`, and `totp_code` with MFA on. */
export const verifyLoginCodeInputSchema = z
  .strictObject({
    identifier: identifierSchema.optional(),
    code: z
      .string()
      .regex(/^\d{6}$/, "must be the 6 digits from the email")
      .optional()
      .meta({ description: "The 6-digit code from the email (with identifier)", example: "042917" }),
    token: linkTokenSchema.optional(),
    totp_code: secondFactorSchema,
  })
  .superRefine(eitherTokenOr(["identifier", "code"]))
  .transform(
    (input): VerifyLoginCodeInput =>
      input.token !== undefined
        ? { token: input.token, totp_code: input.totp_code }
        : { identifier: input.identifier ?? "", code: input.code ?? "", totp_code: input.totp_code },
  )
  .meta({
    id: "VerifyLoginCode",
    description:
      "Either `identifier` and `code` (the 6 digits from the email), or `token` alone (from the email's one-click link); `totp_code` too when the user has MFA on.",
    examples: [
      { identifier: "john@example.com", code: "042917" },
      { token: "63a1f1234abc5678def12345.q3mF0Xw8bW5yQ2l4cU1pVjZ0cHlKc0ZxR1pJbWd2TkU" },
      { identifier: "john@example.com", code: "042917", totp_code: "123456" },
    ],
  });

export const loginCodeRequestedMessage =
  "If an active account has this identifier, a sign-in code has been sent to its email address.";

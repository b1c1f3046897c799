import {
  messageSchema,
  passwordStrengthInputSchema,
  passwordStrengthSchema,
  requestLoginCodeInputSchema,
  type UseCases,
  userSchema,
  verifyLoginCodeInputSchema,
} from "@usersvc/core";
import type { createApiProcedure } from "../trpc";

export type LoginCodeProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  useCases: UseCases;
};

const disabled = {
  404: "LOGIN_CODES_DISABLED: sign-in by emailed code is switched off (LOGIN_CODES_ENABLED)",
};

/** Sign-in with an emailed one-time code or link (`users.auth.code.*`). */
export function createLoginCodeProcedures({ apiProcedure, useCases }: LoginCodeProcedureDeps) {
  return {
    request: apiProcedure
      .meta({
        scope: "auth",
        openapi: {
          method: "POST",
          path: "/users/auth/code/request",
          tags: ["auth"],
          summary: "Email a one-time sign-in code and link",
          description:
            "Always the same answer, whether or not an active account has the identifier (the email is prepared after the answer). The email carries a 6-digit code and a one-click link (LOGIN_CODE_URL?token=...), valid LOGIN_CODE_EXPIRATION_MINUTES, single use. Asking again within LOGIN_CODE_RESEND_COOLDOWN_SECONDS (doubling with each code of the day) sends nothing new. Other codes and links of the account are untouched.",
          errorResponses: {
            400: "VALIDATION_ERROR",
            401: "INVALID_API_KEY",
            ...disabled,
            429: "TOO_MANY_ATTEMPTS (see Retry-After): too many requests from this client network (TRUST_PROXY)",
          },
        },
      })
      .input(requestLoginCodeInputSchema)
      .output(messageSchema)
      .mutation(({ input, ctx }) => useCases.requestLoginCode(input.identifier, { clientIp: ctx.clientIp })),

    verify: apiProcedure
      .meta({
        scope: "auth",
        openapi: {
          method: "POST",
          path: "/users/auth/code/verify",
          tags: ["auth"],
          summary: "Sign in with the emailed code or link",
          description:
            "200 with the user, like auth/check, for `{ identifier, code }` or `{ token }` of a live code (once). Unknown identifiers, wrong, expired and used codes answer the same 401 INVALID_LOGIN_CODE. With MFA on, `totp_code` must come too (MFA_REQUIRED, only after a right code; the code stays usable until the second factor is right). A code has 5 tries, an account 20 wrong codes a day.",
          errorResponses: {
            400: "VALIDATION_ERROR",
            401: "INVALID_LOGIN_CODE, MFA_REQUIRED, INVALID_MFA_CODE or INVALID_API_KEY",
            ...disabled,
            429: "TOO_MANY_ATTEMPTS (see Retry-After): too many wrong codes for the account, wrong second factors, or failures from the client network",
          },
        },
      })
      .input(verifyLoginCodeInputSchema)
      .output(userSchema)
      .mutation(({ input, ctx }) => useCases.verifyLoginCode(input, { clientIp: ctx.clientIp })),
  };
}

/** `users.password.strength`: the policy's verdict on a candidate, for a strength meter. */
export function createPasswordStrengthProcedure({ apiProcedure, useCases }: LoginCodeProcedureDeps) {
  return apiProcedure
    .meta({
      scope: "auth",
      openapi: {
        method: "POST",
        path: "/users/password/strength",
        tags: ["password"],
        summary: "Score a candidate password",
        description:
          "zxcvbn's score (0-4), whether registration, reset and change would accept it (PASSWORD_MIN_SCORE), and its advice. `user_inputs` (username, email, names) count for nothing in the password. Nothing is stored; the password is never logged. Throttled per client network (PASSWORD_STRENGTH_MAX_PER_IP a minute, with TRUST_PROXY).",
        errorResponses: {
          400: "VALIDATION_ERROR",
          401: "INVALID_API_KEY",
          429: "TOO_MANY_ATTEMPTS (see Retry-After)",
          503: "SERVICE_BUSY (see Retry-After): too many strength checks are waiting",
        },
      },
    })
    .input(passwordStrengthInputSchema)
    .output(passwordStrengthSchema)
    .mutation(({ input, ctx }) => useCases.checkPasswordStrength(input, { clientIp: ctx.clientIp }));
}

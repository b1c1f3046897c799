import {
  authenticationOptionsSchema,
  deletePasskeyInputSchema,
  listPasskeysInputSchema,
  messageSchema,
  passkeyAuthenticationInputSchema,
  passkeyAuthenticationOptionsInputSchema,
  passkeyListSchema,
  passkeyRegistrationInputSchema,
  passkeyRegistrationOptionsInputSchema,
  passkeySchema,
  registrationOptionsSchema,
  renamePasskeyInputSchema,
  type UseCases,
  userSchema,
} from "@usersvc/core";
import { type createApiProcedure, hashBusyResponse, t } from "../trpc";

export type PasskeyProcedureDeps = {
  apiProcedure: ReturnType<typeof createApiProcedure>;
  useCases: UseCases;
};

const tags = ["passkeys"];

/** The errors of a route that re-authenticates (current password and TOTP, or a passkey). */
const reauthenticationErrors = {
  400: "VALIDATION_ERROR (current_password or passkey_assertion, exactly one), or PASSKEY_CHALLENGE_INVALID (the assertion's challenge)",
  401: "INVALID_CREDENTIALS, MFA_REQUIRED, INVALID_MFA_CODE, INVALID_PASSKEY (also: an assertion of another user or without user verification) or INVALID_API_KEY",
  403: "PASSWORD_RESET_REQUIRED (the right password, locked by an email-change revert, which also removed the passkeys: reset the password first)",
  404: "USER_NOT_FOUND",
  429: "TOO_MANY_ATTEMPTS (password, second-factor or passkey throttle)",
  ...hashBusyResponse,
};

/**
 * Passkeys (`users.passkeys.*`): registration and sign-in ceremonies (options, then the
 * browser's answer relayed unchanged), and the user's list.
 */
export function createPasskeyProcedures({ apiProcedure, useCases }: PasskeyProcedureDeps) {
  const { registration, signIn, manage } = useCases.passkeys;
  return {
    passkeys: t.router({
      registrationOptions: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "POST",
            path: "/users/passkeys/register/options",
            tags,
            summary: "Start adding a passkey: options for navigator.credentials.create()",
            description:
              "Needs re-authentication: `current_password` (with `totp_code` when MFA is on) or `passkey_assertion` (an assertion of this user with user verification, from passkeys/authenticate/options). The options exclude the user's passkeys and prefer a discoverable credential and user verification; their challenge is bound to this user, works once and expires after WEBAUTHN_TIMEOUT_SECONDS.",
            errorResponses: {
              ...reauthenticationErrors,
              403: "USER_NOT_ACTIVE, or PASSWORD_RESET_REQUIRED (the right password, locked by an email-change revert, which also removed the passkeys: reset the password first)",
            },
          },
        })
        .input(passkeyRegistrationOptionsInputSchema)
        .output(registrationOptionsSchema)
        .mutation(({ input, ctx }) => registration.options(input, { clientIp: ctx.clientIp })),

      register: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "POST",
            path: "/users/passkeys/register/verify",
            tags,
            summary: "Finish adding a passkey: verify and store the browser's answer",
            description:
              "`response` is the browser's answer to the options (`credential.toJSON()`), unchanged. Its origin must be one of WEBAUTHN_ORIGINS and its RP id WEBAUTHN_RP_ID. 200 with the passkey; the user gets a notice email.",
            errorResponses: {
              400: "VALIDATION_ERROR, or PASSKEY_CHALLENGE_INVALID (not issued for this user's registration, expired or used, or the password was locked or changed since it was issued)",
              401: "INVALID_PASSKEY (the attestation does not verify) or INVALID_API_KEY",
              404: "USER_NOT_FOUND",
              409: "PASSKEY_ALREADY_REGISTERED",
            },
          },
        })
        .input(passkeyRegistrationInputSchema)
        .output(passkeySchema)
        .mutation(({ input }) => registration.verify(input)),

      authenticationOptions: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "POST",
            path: "/users/passkeys/authenticate/options",
            tags,
            summary: "Start a passkey sign-in: options for navigator.credentials.get()",
            description:
              "With `identifier`: `allowCredentials` lists the account's passkeys; an unknown identifier, or an account without passkeys, gets the same shape (a stable decoy), so the answer never tells whether the account exists. Without: no `allowCredentials` (discoverable passkeys, e.g. autofill).",
            errorResponses: { 400: "VALIDATION_ERROR", 401: "INVALID_API_KEY" },
          },
        })
        .input(passkeyAuthenticationOptionsInputSchema)
        .output(authenticationOptionsSchema)
        .mutation(({ input }) => signIn.options(input)),

      authenticate: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "POST",
            path: "/users/passkeys/authenticate/verify",
            tags,
            summary: "Sign in with a passkey: 200 with the user, like auth/check",
            description:
              "`response` is the browser's answer (`credential.toJSON()`), unchanged. A passkey with user verification is both factors: MFA users need no TOTP code; without it, MFA users add `totp_code`. The challenge works once; a signature counter that does not grow is refused (and logged). Failures are throttled per account and per client IP, apart from passwords.",
            errorResponses: {
              400: "VALIDATION_ERROR, or PASSKEY_CHALLENGE_INVALID (not a sign-in challenge of ours, expired or used)",
              401: "INVALID_PASSKEY, MFA_REQUIRED, INVALID_MFA_CODE or INVALID_API_KEY",
              403: "USER_NOT_ACTIVE (only after a verified passkey)",
              429: "TOO_MANY_ATTEMPTS (see Retry-After)",
            },
          },
        })
        .input(passkeyAuthenticationInputSchema)
        .output(userSchema)
        .mutation(({ input, ctx }) => signIn.verify(input, { clientIp: ctx.clientIp })),

      list: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "GET",
            path: "/users/passkeys",
            tags,
            summary: "A user's passkeys, oldest first",
            description: "Names, dates, transports and backup state; never a public key or counter.",
            errorResponses: { 400: "VALIDATION_ERROR", 401: "INVALID_API_KEY", 404: "USER_NOT_FOUND" },
          },
        })
        .input(listPasskeysInputSchema)
        .output(passkeyListSchema)
        .query(({ input }) => manage.list(input.id)),

      rename: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "PATCH",
            path: "/users/passkeys/name",
            tags,
            summary: "Rename a passkey",
            errorResponses: {
              400: "VALIDATION_ERROR",
              401: "INVALID_API_KEY",
              404: "USER_NOT_FOUND or PASSKEY_NOT_FOUND",
            },
          },
        })
        .input(renamePasskeyInputSchema)
        .output(passkeySchema)
        .mutation(({ input }) => manage.rename(input)),

      remove: apiProcedure
        .meta({
          scope: "auth",
          openapi: {
            method: "POST",
            path: "/users/passkeys/delete",
            tags,
            summary: "Delete a passkey (re-authentication needed; never the last sign-in method)",
            description:
              "A POST, so that the password never travels in a query string. Needs `current_password` (with `totp_code` when MFA is on) or `passkey_assertion`. Refused with LAST_SIGN_IN_METHOD when the passkey is the account's last way to sign in (its password locked by an email-change revert). The user gets a notice email.",
            errorResponses: {
              ...reauthenticationErrors,
              404: "USER_NOT_FOUND or PASSKEY_NOT_FOUND",
              409: "LAST_SIGN_IN_METHOD",
            },
          },
        })
        .input(deletePasskeyInputSchema)
        .output(messageSchema)
        .mutation(({ input, ctx }) => manage.remove(input, { clientIp: ctx.clientIp })),
    }),
  };
}

import { z } from "zod";
import { givenPasswordSchema, secondFactorSchema } from "../login/schemas";
import { identifierSchema, noControlCharacters, objectIdSchema } from "../users/schemas";
import {
  type AuthenticationResponse,
  authenticationResponseSchema,
  credentialIdSchema,
  registrationResponseSchema,
} from "./webauthn-json";

export * from "./webauthn-json";

/* The passkey routes' inputs and outputs (the browser's JSON is in webauthn-json.ts). */

/** A passkey's name, chosen by its user. */
export const passkeyNameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(noControlCharacters, "must not contain control characters")
  .meta({ example: "MacBook Touch ID" });

/**
 * The re-authentication of a passkey registration or deletion: the current password (and
 * `totp_code` with MFA on), or a fresh passkey assertion of the same user, with user
 * verification (from passkeys/authenticate/options).
 */
const reauthentication = {
  current_password: givenPasswordSchema.optional(),
  totp_code: secondFactorSchema,
  passkey_assertion: authenticationResponseSchema.optional(),
};
const oneProof = (input: { current_password?: string | undefined; passkey_assertion?: unknown }) =>
  (input.current_password === undefined) !== (input.passkey_assertion === undefined);
const oneProofMessage = {
  message: "send current_password (with totp_code when MFA is on) or passkey_assertion, not both",
  path: ["current_password"],
};

/** POST /api/users/passkeys/register/options */
export const passkeyRegistrationOptionsInputSchema = z
  .strictObject({ id: objectIdSchema, ...reauthentication })
  .refine(oneProof, oneProofMessage)
  .meta({
    id: "PasskeyRegistrationOptionsInput",
    example: { id: "63a1f1234abc5678def12345", current_password: "Password1!" },
  });

/** POST /api/users/passkeys/register/verify */
export const passkeyRegistrationInputSchema = z
  .strictObject({
    id: objectIdSchema,
    response: registrationResponseSchema,
    name: passkeyNameSchema.optional().meta({ description: "Default: Passkey" }),
  })
  .meta({ id: "PasskeyRegistration" });

/** POST /api/users/passkeys/authenticate/options */
export const passkeyAuthenticationOptionsInputSchema = z
  .strictObject({
    identifier: identifierSchema
      .optional()
      .meta({ description: "Username or email; leave out for discoverable passkeys (no allowCredentials)" }),
  })
  .meta({ id: "PasskeyAuthenticationOptionsInput", example: { identifier: "john@example.com" } });

/** POST /api/users/passkeys/authenticate/verify */
export const passkeyAuthenticationInputSchema = z
  .strictObject({
    response: authenticationResponseSchema,
    totp_code: secondFactorSchema.meta({
      description: "Only for MFA users whose authenticator did not verify the user (no PIN or biometrics)",
    }),
  })
  .meta({ id: "PasskeyAuthentication" });

/** GET /api/users/passkeys */
export const listPasskeysInputSchema = z.strictObject({ id: objectIdSchema });

/** PATCH /api/users/passkeys/name */
export const renamePasskeyInputSchema = z
  .strictObject({ id: objectIdSchema, passkey_id: credentialIdSchema, name: passkeyNameSchema })
  .meta({ id: "RenamePasskey" });

/** POST /api/users/passkeys/delete */
export const deletePasskeyInputSchema = z
  .strictObject({ id: objectIdSchema, passkey_id: credentialIdSchema, ...reauthentication })
  .refine(oneProof, oneProofMessage)
  .meta({
    id: "DeletePasskey",
    example: {
      id: "63a1f1234abc5678def12345",
      passkey_id: "hQ8fzNqG3l3Z4j8x9YwQ1A",
      current_password: "Password1!",
    },
  });

export type PasskeyReauthentication = {
  current_password?: string | undefined;
  totp_code?: string | undefined;
  passkey_assertion?: AuthenticationResponse | undefined;
};

/** A passkey as the API shows it: never its public key or counter. */
export const passkeySchema = z
  .object({
    id: credentialIdSchema,
    name: z.string(),
    created_at: z.iso.datetime(),
    last_used_at: z.iso.datetime().nullable(),
    transports: z.array(z.string()),
    device_type: z.enum(["singleDevice", "multiDevice"]).meta({
      description: "multiDevice: a synced passkey (e.g. iCloud Keychain, Google Password Manager)",
    }),
    backed_up: z.boolean(),
  })
  .meta({ id: "Passkey" });

export type Passkey = z.output<typeof passkeySchema>;

export const passkeyListSchema = z.object({ passkeys: z.array(passkeySchema) }).meta({ id: "PasskeyList" });

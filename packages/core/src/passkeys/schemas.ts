import { z } from "zod";
import { givenPasswordSchema, secondFactorSchema } from "../login/schemas";
import { identifierSchema, noControlCharacters, objectIdSchema } from "../users/schemas";

/*
 * Passkeys (WebAuthn) in the contract. The service stays headless: the caller's frontend
 * gives the options to the browser (`navigator.credentials.create/get`, or
 * @simplewebauthn/browser) and relays the browser's JSON answer back unchanged.
 */

const base64url = (max: number) =>
  z
    .string()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .regex(/^[A-Za-z0-9_-]+$/, "must be base64url (A-Z, a-z, 0-9, '-', '_', no padding)");

/** A credential id as the browser gives it (base64url; WebAuthn caps ids at 1023 bytes). */
export const credentialIdSchema = base64url(1_366).meta({
  description: "The passkey's credential id (base64url)",
  example: "hQ8fzNqG3l3Z4j8x9YwQ1A",
});

const transportsSchema = z
  .array(z.enum(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"]))
  .max(8);
const attachmentSchema = z.enum(["platform", "cross-platform"]);
/** Extension outputs the browser reports (credProps, ...): passed through, never trusted. */
const extensionResultsSchema = z.record(z.string().max(64), z.unknown()).meta({
  description: "clientExtensionResults as the browser returns it",
  example: {},
});

/** The browser's answer to `navigator.credentials.create()` (`credential.toJSON()`). */
export const registrationResponseSchema = z
  .object({
    id: credentialIdSchema,
    rawId: credentialIdSchema,
    type: z.literal("public-key"),
    response: z.object({
      clientDataJSON: base64url(4_096),
      attestationObject: base64url(12_000),
      authenticatorData: base64url(4_096).optional(),
      transports: transportsSchema.optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64url(4_096).optional(),
    }),
    authenticatorAttachment: attachmentSchema.optional(),
    clientExtensionResults: extensionResultsSchema,
  })
  .meta({ id: "PasskeyRegistrationResponse" });

/** The browser's answer to `navigator.credentials.get()` (`credential.toJSON()`). */
export const authenticationResponseSchema = z
  .object({
    id: credentialIdSchema,
    rawId: credentialIdSchema,
    type: z.literal("public-key"),
    response: z.object({
      clientDataJSON: base64url(4_096),
      authenticatorData: base64url(4_096),
      signature: base64url(2_048),
      userHandle: base64url(128).optional(),
    }),
    authenticatorAttachment: attachmentSchema.optional(),
    clientExtensionResults: extensionResultsSchema,
  })
  .meta({ id: "PasskeyAuthenticationResponse" });

export type RegistrationResponse = z.output<typeof registrationResponseSchema>;
export type AuthenticationResponse = z.output<typeof authenticationResponseSchema>;

const descriptorSchema = z.object({
  id: credentialIdSchema,
  type: z.string().meta({ example: "public-key" }),
  transports: z.array(z.string()).optional(),
});

/** What `navigator.credentials.create()` takes (`PublicKeyCredential.parseCreationOptionsFromJSON`). */
export const registrationOptionsSchema = z
  .object({
    rp: z.object({ id: z.string().optional(), name: z.string() }),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
    challenge: z.string(),
    pubKeyCredParams: z.array(
      z.object({ alg: z.number(), type: z.string().meta({ example: "public-key" }) }),
    ),
    timeout: z.number().optional(),
    excludeCredentials: z.array(descriptorSchema).optional(),
    authenticatorSelection: z
      .object({
        authenticatorAttachment: attachmentSchema.optional(),
        requireResidentKey: z.boolean().optional(),
        residentKey: z.enum(["discouraged", "preferred", "required"]).optional(),
        userVerification: z.enum(["discouraged", "preferred", "required"]).optional(),
      })
      .optional(),
    attestation: z.string().optional(),
    hints: z.array(z.string()).optional(),
    extensions: z.object({ credProps: z.boolean().optional() }).optional(),
  })
  .meta({ id: "PasskeyRegistrationOptions" });

/** What `navigator.credentials.get()` takes (`PublicKeyCredential.parseRequestOptionsFromJSON`). */
export const authenticationOptionsSchema = z
  .object({
    challenge: z.string(),
    timeout: z.number().optional(),
    rpId: z.string().optional(),
    allowCredentials: z.array(descriptorSchema).optional(),
    userVerification: z.enum(["discouraged", "preferred", "required"]).optional(),
    hints: z.array(z.string()).optional(),
  })
  .meta({ id: "PasskeyAuthenticationOptions" });

export type RegistrationOptions = z.output<typeof registrationOptionsSchema>;
export type AuthenticationOptions = z.output<typeof authenticationOptionsSchema>;

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

import { z } from "zod";

/*
 * The WebAuthn JSON the browser speaks (the "JSON" forms of WebAuthn Level 3: what
 * `PublicKeyCredential.parse*OptionsFromJSON` reads and `credential.toJSON()` writes). The
 * service stays headless: the caller's frontend gives the options to the browser (or to
 * @simplewebauthn/browser) and relays the answer back unchanged.
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

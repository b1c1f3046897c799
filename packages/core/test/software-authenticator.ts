/**
 * A WebAuthn authenticator in software, for tests: a real P-256 key pair (node:crypto), real
 * "none" attestation objects (CBOR, COSE ES256 key) and real assertions (ECDSA over
 * authenticatorData || SHA-256(clientDataJSON)), with the client data a browser on `origin`
 * would write. What it returns is what `credential.toJSON()` gives in a browser, so
 * @simplewebauthn/server verifies real signatures; nothing is mocked.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type {
  AuthenticationOptions,
  AuthenticationResponse,
  RegistrationOptions,
  RegistrationResponse,
} from "../src/passkeys/schemas";

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();
const uint32 = (n: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
};

export type SoftwareAuthenticatorOptions = {
  /** The page's origin, as a browser would report it. */
  origin: string;
  /** Whether it verifies the user (PIN, biometrics): the UV flag. Default true. */
  userVerification?: boolean;
  /** Whether it keeps a signature counter (default true); synced passkeys often send 0. */
  counts?: boolean;
};

export type SoftwareAuthenticator = ReturnType<typeof createSoftwareAuthenticator>;

export function createSoftwareAuthenticator(options: SoftwareAuthenticatorOptions) {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  const credentialId = randomBytes(16);
  const state = {
    counter: 0,
    userVerification: options.userVerification ?? true,
    origin: options.origin,
    userHandle: null as string | null,
  };
  const flags = (attested: boolean) => 0x01 | (state.userVerification ? 0x04 : 0) | (attested ? 0x40 : 0);
  const nextCounter = () => {
    if (options.counts === false) return 0;
    state.counter += 1;
    return state.counter;
  };
  const clientData = (type: string, challenge: string) =>
    Buffer.from(JSON.stringify({ type, challenge, origin: state.origin, crossOrigin: false }));

  return {
    /** The credential id (base64url). */
    id: b64(credentialId),
    /** Changes what later ceremonies do (a wrong origin, no user verification, a counter). */
    state,
    /** The answer of `navigator.credentials.create(options)`. */
    register(creation: RegistrationOptions, rpId = creation.rp.id ?? ""): RegistrationResponse {
      state.userHandle = creation.user.id;
      const coseKey = new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x ?? "", "base64url")],
        [-3, Buffer.from(jwk.y ?? "", "base64url")],
      ]);
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credentialId.length);
      const authData = Buffer.concat([
        sha256(rpId),
        Buffer.from([flags(true)]),
        uint32(nextCounter()),
        Buffer.alloc(16), // AAGUID: none
        idLength,
        credentialId,
        Buffer.from(isoCBOR.encode(coseKey)),
      ]);
      const attestationObject = isoCBOR.encode(
        new Map<string, string | Uint8Array | Map<string, string>>([
          ["fmt", "none"],
          ["attStmt", new Map<string, string>()],
          ["authData", new Uint8Array(authData)],
        ]),
      );
      return {
        id: b64(credentialId),
        rawId: b64(credentialId),
        type: "public-key",
        response: {
          clientDataJSON: b64(clientData("webauthn.create", creation.challenge)),
          attestationObject: b64(attestationObject),
          transports: ["internal"],
        },
        authenticatorAttachment: "platform",
        clientExtensionResults: {},
      };
    },
    /** The answer of `navigator.credentials.get(options)`. */
    assert(request: AuthenticationOptions, rpId = request.rpId ?? ""): AuthenticationResponse {
      const authData = Buffer.concat([sha256(rpId), Buffer.from([flags(false)]), uint32(nextCounter())]);
      const clientDataJSON = clientData("webauthn.get", request.challenge);
      const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), privateKey);
      return {
        id: b64(credentialId),
        rawId: b64(credentialId),
        type: "public-key",
        response: {
          clientDataJSON: b64(clientDataJSON),
          authenticatorData: b64(authData),
          signature: b64(signature),
          ...(state.userHandle ? { userHandle: state.userHandle } : {}),
        },
        authenticatorAttachment: "platform",
        clientExtensionResults: {},
      };
    },
  };
}

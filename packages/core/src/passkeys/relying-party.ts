import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import type { Keyring } from "../keyring";
import type { ClaimStore, PasskeyRecord, PasskeyStore } from "../ports";
import { normalizeKey } from "../users/schemas";
import type { UserRecord } from "../users/user";
import { type ChallengeGrant, challengeInvalid, type PasskeyChallenges } from "./challenges";
import type { AuthenticationOptions, RegistrationOptions, RegistrationResponse } from "./schemas";
import { createAssertionVerifier, invalidPasskey, type PasskeyWarning } from "./verify-assertion";

/** The relying party (WEBAUTHN_*): its id, its name, the origins whose pages run ceremonies. */
export type RelyingPartyOptions = {
  id: string;
  name: string;
  origins: readonly string[];
  timeoutSeconds: number;
};

/** A verified registration: the new credential, not stored yet. */
export type NewCredential = Omit<PasskeyRecord, "user_id" | "name" | "created_at" | "last_used_at"> & {
  grant: ChallengeGrant;
};

const transportsOf = (passkey: PasskeyRecord) => passkey.transports;

/**
 * The WebAuthn ceremonies of our relying party, over @simplewebauthn/server: options with
 * a sealed, bound challenge (challenges.ts), and verification of the browser's answer
 * against our RP id and origins, the challenge's ceremony, user and single use, and the
 * stored public key and signature counter. Nothing is stored here but counters.
 */
export function createRelyingParty(deps: {
  rp: RelyingPartyOptions;
  challenges: PasskeyChallenges;
  passkeys: Pick<PasskeyStore, "recordUse">;
  claims: Pick<ClaimStore, "claim">;
  /** Makes the decoy credential ids of identifiers without passkeys. */
  keys: Pick<Keyring, "hash">;
  warn: (warning: PasskeyWarning) => void;
}) {
  const { rp, challenges } = deps;
  const expected = { expectedOrigin: [...rp.origins], expectedRPID: rp.id };
  const timeout = rp.timeoutSeconds * 1_000;

  return {
    /** Options for a new passkey of `user`: their passkeys excluded, resident key and UV preferred. */
    registrationOptions(user: UserRecord, existing: readonly PasskeyRecord[]): Promise<RegistrationOptions> {
      return generateRegistrationOptions({
        rpName: rp.name,
        rpID: rp.id,
        userName: user.email,
        userDisplayName: `${user.first_name} ${user.last_name}`.trim(),
        // The user handle: the user's id (no personal data), which sign-ins check.
        userID: new TextEncoder().encode(user.id),
        challenge: challenges.issue({ ceremony: "registration", userId: user.id, discoverable: false }),
        timeout,
        attestationType: "none",
        excludeCredentials: existing.map((p) => ({ id: p.id, transports: transportsOf(p) })),
        authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
      });
    },

    /** Verifies the browser's answer to registration options issued for `userId`, and spends them. */
    async verifyRegistration(userId: string, response: RegistrationResponse): Promise<NewCredential> {
      const grant = challenges.read(response.response.clientDataJSON, "registration");
      if (grant.userId !== userId) throw challengeInvalid();
      const verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: grant.challenge,
        ...expected,
        requireUserVerification: false,
      }).catch(() => null);
      if (!verification?.verified) throw invalidPasskey();
      if (!(await challenges.consume(grant))) throw challengeInvalid();
      const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
      return {
        id: credential.id,
        public_key: Buffer.from(credential.publicKey).toString("base64url"),
        counter: credential.counter,
        transports: response.response.transports ?? credential.transports ?? [],
        device_type: credentialDeviceType,
        backed_up: credentialBackedUp,
        grant,
      };
    },

    /**
     * Sign-in options: for a known user, their passkeys; for an identifier without any (no
     * such account, or no passkey), one decoy id derived from the identifier, stable and
     * shaped like a real one; without identifier, none (discoverable passkeys).
     */
    authenticationOptions(target: {
      identifier: string | null;
      user: Pick<UserRecord, "id"> | null;
      passkeys: readonly PasskeyRecord[];
    }): Promise<AuthenticationOptions> {
      const { identifier, user, passkeys } = target;
      const allowCredentials =
        identifier === null
          ? undefined
          : passkeys.length > 0
            ? passkeys.map((p) => ({ id: p.id, transports: transportsOf(p) }))
            : [
                {
                  id: deps.keys.hash(`passkey-decoy:${normalizeKey(identifier)}`),
                  transports: ["hybrid", "internal"],
                },
              ];
      return generateAuthenticationOptions({
        rpID: rp.id,
        timeout,
        userVerification: "preferred",
        challenge: challenges.issue({
          ceremony: "authentication",
          userId: user?.id ?? null,
          discoverable: identifier === null,
        }),
        ...(allowCredentials ? { allowCredentials } : {}),
      });
    },

    verifyAssertion: createAssertionVerifier({ ...deps, expected }),
  };
}

export type RelyingParty = ReturnType<typeof createRelyingParty>;

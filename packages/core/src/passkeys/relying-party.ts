import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { claimKeys } from "../claim-keys";
import { DomainError } from "../errors";
import type { Keyring } from "../keyring";
import type { ClaimStore, PasskeyRecord, PasskeyStore } from "../ports";
import { normalizeKey } from "../users/schemas";
import type { UserRecord } from "../users/user";
import { type ChallengeGrant, challengeInvalid, type PasskeyChallenges } from "./challenges";
import type {
  AuthenticationOptions,
  AuthenticationResponse,
  RegistrationOptions,
  RegistrationResponse,
} from "./schemas";

/** The relying party (WEBAUTHN_*): its id, its name, the origins whose pages run ceremonies. */
export type RelyingPartyOptions = {
  id: string;
  name: string;
  origins: readonly string[];
  timeoutSeconds: number;
};

/** Something the service refused that an operator should see (e.g. a cloned authenticator). */
export type PasskeyWarning = { message: string; userId: string; credentialId: string; counter?: number };

/** A verified registration: the new credential, not stored yet. */
export type NewCredential = Omit<PasskeyRecord, "user_id" | "name" | "created_at" | "last_used_at"> & {
  grant: ChallengeGrant;
};

export const invalidPasskey = () =>
  new DomainError("INVALID_PASSKEY", "The passkey could not be verified: start again with its options.");

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

    /**
     * Verifies an assertion and spends its challenge: the passkey must be registered, belong
     * to the user the challenge was issued for (any user for a discoverable sign-in) and to
     * the user handle, sign with its key, and count up from its stored counter when it
     * counts (else: refused and reported, a possible clone). INVALID_PASSKEY or
     * PASSKEY_CHALLENGE_INVALID otherwise.
     */
    async verifyAssertion(
      response: AuthenticationResponse,
      grant: ChallengeGrant,
      passkey: PasskeyRecord | null,
    ): Promise<{ passkey: PasskeyRecord; userVerified: boolean }> {
      if (!passkey || passkey.id !== response.id) throw invalidPasskey();
      const bound = grant.userId ?? (grant.discoverable ? passkey.user_id : null);
      if (bound !== passkey.user_id) throw invalidPasskey();
      const handle = response.response.userHandle;
      if (handle !== undefined && Buffer.from(handle, "base64url").toString("utf8") !== passkey.user_id)
        throw invalidPasskey();
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: grant.challenge,
        ...expected,
        // The counter rule is ours (below), so that a refusal can be told apart and reported.
        credential: { id: passkey.id, publicKey: Buffer.from(passkey.public_key, "base64url"), counter: 0 },
        requireUserVerification: false,
      }).catch(() => null);
      if (!verification?.verified) throw invalidPasskey();
      if (!(await challenges.consume(grant))) throw challengeInvalid();
      const info = verification.authenticationInfo;
      const counter = info.newCounter;
      const counts = counter > 0 || passkey.counter > 0;
      const accepted =
        !counts ||
        (counter > passkey.counter &&
          (await deps.claims.claim(
            claimKeys.passkeyCounter(passkey.id, counter),
            claimKeys.userGroup(passkey.user_id),
            // Only races need it: once the counter is stored, the rule above refuses the value.
            new Date(Date.now() + 86_400_000),
          )));
      if (!accepted) {
        deps.warn({
          message: "passkey refused: its signature counter did not grow (a cloned authenticator?)",
          userId: passkey.user_id,
          credentialId: passkey.id,
          counter,
        });
        throw invalidPasskey();
      }
      await deps.passkeys.recordUse(passkey.id, {
        counter,
        backedUp: info.credentialBackedUp,
        at: new Date(),
      });
      return { passkey, userVerified: info.userVerified };
    },
  };
}

export type RelyingParty = ReturnType<typeof createRelyingParty>;

import { verifyAuthenticationResponse } from "@simplewebauthn/server";
import { claimKeys } from "../claim-keys";
import { DomainError } from "../errors";
import type { ClaimStore, PasskeyRecord, PasskeyStore } from "../ports";
import { type ChallengeGrant, challengeInvalid, type PasskeyChallenges } from "./challenges";
import type { AuthenticationResponse } from "./schemas";

/** Something the service refused that an operator should see (e.g. a cloned authenticator). */
export type PasskeyWarning = { message: string; userId: string; credentialId: string; counter?: number };

export const invalidPasskey = () =>
  new DomainError("INVALID_PASSKEY", "The passkey could not be verified: start again with its options.");

export type VerifyAssertion = (
  response: AuthenticationResponse,
  grant: ChallengeGrant,
  passkey: PasskeyRecord | null,
) => Promise<{ passkey: PasskeyRecord; userVerified: boolean }>;

/**
 * Verifies an assertion and spends its challenge: the passkey must be registered, belong
 * to the user the challenge was issued for (any user for a discoverable sign-in) and to
 * the user handle (which a discoverable sign-in's answer must carry), sign with its key,
 * and count up from its stored counter when it counts (else: refused and reported, a
 * possible clone). INVALID_PASSKEY or PASSKEY_CHALLENGE_INVALID otherwise.
 */
export function createAssertionVerifier(deps: {
  expected: { expectedOrigin: string[]; expectedRPID: string };
  challenges: Pick<PasskeyChallenges, "consume">;
  passkeys: Pick<PasskeyStore, "recordUse">;
  claims: Pick<ClaimStore, "claim">;
  warn: (warning: PasskeyWarning) => void;
}): VerifyAssertion {
  const { expected, challenges } = deps;
  return async (response, grant, passkey) => {
    if (!passkey || passkey.id !== response.id) throw invalidPasskey();
    const bound = grant.userId ?? (grant.discoverable ? passkey.user_id : null);
    if (bound !== passkey.user_id) throw invalidPasskey();
    const handle = response.response.userHandle;
    // A discoverable sign-in knows its user only from the answer: the handle must be there.
    if (handle === undefined && grant.discoverable) throw invalidPasskey();
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
  };
}

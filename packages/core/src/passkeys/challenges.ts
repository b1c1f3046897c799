import { z } from "zod";
import { claimKeys } from "../claim-keys";
import { randomId } from "../crypto";
import { DomainError } from "../errors";
import type { Keyring } from "../keyring";
import type { ClaimStore } from "../ports";

/** What a challenge was issued for: its ceremony, the user it is bound to, and when it ends. */
export type ChallengeGrant = {
  ceremony: "registration" | "authentication";
  /** The user the ceremony is for; null for a discoverable sign-in or an unknown identifier. */
  userId: string | null;
  /** A sign-in without identifier: any user's passkey may answer it. */
  discoverable: boolean;
  nonce: string;
  /** When it was issued (ms): a registration started before a password reset is refused. */
  issuedAt: number;
  expiresAt: number;
  /** The challenge as the browser signed it (base64url). */
  challenge: string;
};

export type PasskeyChallenges = {
  /** A fresh challenge (the text WebAuthn signs) for a ceremony, bound to `userId`. */
  issue(grant: Pick<ChallengeGrant, "ceremony" | "userId" | "discoverable">): string;
  /**
   * What the challenge in a browser's `clientDataJSON` was issued for; PASSKEY_CHALLENGE_INVALID
   * when it is not one of ours, belongs to another ceremony, or expired.
   */
  read(clientDataJSON: string, ceremony: ChallengeGrant["ceremony"]): ChallengeGrant;
  /** Spends the challenge: true for exactly one caller (a claim). */
  consume(grant: ChallengeGrant): Promise<boolean>;
  /** Gives a spent challenge back (the write it preceded failed). */
  release(grant: ChallengeGrant): Promise<void>;
};

export const challengeInvalid = () =>
  new DomainError(
    "PASSKEY_CHALLENGE_INVALID",
    "This passkey challenge is unknown, expired or already used: start again with the ceremony's options.",
  );

/** What a challenge seals; checked on the way back, as the keyring seals other things too. */
const sealedSchema = z.object({
  c: z.enum(["r", "a"]),
  u: z.string().nullable(),
  d: z.boolean(),
  n: z.string(),
  i: z.number().optional(),
  e: z.number(),
});
type Sealed = z.infer<typeof sealedSchema>;

/** How long a spent challenge's claim outlives its expiry (clock skew between instances). */
const spentMarginMs = 3_600_000;

/** Every grant's text is padded to this length (a user id of up to 64 characters fits). */
const sealedLength = 192;

/**
 * Challenges that need no record: each is sealed (AES-256-GCM, SECRET_KEY) around its
 * ceremony, user, expiry and a random nonce, so the browser's signed `clientDataJSON` brings
 * back everything it was issued for, and nobody can forge or alter one. Its single use is a
 * claim of the nonce, kept an hour past the challenge's expiry (clock skew).
 */
export function createPasskeyChallenges(deps: {
  keys: Pick<Keyring, "seal" | "open">;
  claims: Pick<ClaimStore, "claim" | "release">;
  lifetimeSeconds: number;
  now?: () => number;
}): PasskeyChallenges {
  const now = deps.now ?? (() => Date.now());
  const group = (grant: ChallengeGrant) =>
    grant.userId ? claimKeys.userGroup(grant.userId) : claimKeys.passkeyGroup;
  return {
    issue(grant) {
      const issuedAt = now();
      const sealed: Sealed = {
        c: grant.ceremony === "registration" ? "r" : "a",
        u: grant.userId,
        d: grant.discoverable,
        n: randomId(),
        i: issuedAt,
        e: issuedAt + deps.lifetimeSeconds * 1_000,
      };
      // Padded (JSON.parse ignores the trailing spaces): a sealing is as long as its text, and
      // a grant naming a user must not be longer than one naming none (no enumeration).
      return deps.keys.seal(JSON.stringify(sealed).padEnd(sealedLength));
    },
    read(clientDataJSON, ceremony) {
      let payload: Sealed;
      let challenge: string;
      try {
        const client = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")) as {
          challenge?: unknown;
        };
        if (typeof client.challenge !== "string") throw challengeInvalid();
        challenge = client.challenge;
        const text = Buffer.from(challenge, "base64url").toString("utf8");
        payload = sealedSchema.parse(JSON.parse(deps.keys.open(text).plaintext));
      } catch {
        throw challengeInvalid();
      }
      const grant: ChallengeGrant = {
        ceremony: payload.c === "r" ? "registration" : "authentication",
        userId: payload.u,
        discoverable: payload.d,
        nonce: payload.n,
        // Challenges sealed before `i` existed: their lifetime back from their expiry.
        issuedAt: payload.i ?? payload.e - deps.lifetimeSeconds * 1_000,
        expiresAt: payload.e,
        challenge,
      };
      if (grant.ceremony !== ceremony || grant.expiresAt <= now()) throw challengeInvalid();
      return grant;
    },
    consume: (grant) =>
      deps.claims.claim(
        claimKeys.passkeyChallenge(grant.nonce),
        group(grant),
        // Kept past the expiry: an instance whose clock is behind the sweeper's still takes
        // the challenge as unexpired, and must find it spent.
        new Date(grant.expiresAt + spentMarginMs),
      ),
    release: (grant) => deps.claims.release(claimKeys.passkeyChallenge(grant.nonce)),
  };
}

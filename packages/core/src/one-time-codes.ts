import { generateSixDigitCode, randomId } from "./crypto";
import type { Keyring } from "./keyring";
import type { ClaimStore } from "./ports";
import type { CodeState } from "./users/user";

/** Tries a single code survives, right one included. */
export const maxCodeAttempts = 5;

export type CodeCheck =
  | { outcome: "ok"; undo(): Promise<void> }
  | { outcome: "expired" }
  | { outcome: "locked" }
  | { outcome: "wrong"; triesLeft: number }
  | { outcome: "used" };

/**
 * Emailed one-time codes (activation, email change): CSPRNG digits, keyed hashes compared
 * in constant time, an expiry, at most 5 tries and a single use, the last two as claims so
 * that concurrency can stretch neither.
 */
export function createCodeChecker(deps: {
  claims: ClaimStore;
  /** Hashes new codes with the current key; a code hashed under any configured key matches. */
  keys: Pick<Keyring, "hash" | "matches">;
  /** The claim key of one try, use or replacement of a code (claimKeys.activationCode, ...). */
  keyOf: (codeId: string, what: string) => string;
}) {
  const claimFor = (group: string, state: CodeState, what: string) =>
    deps.claims.claim(
      deps.keyOf(state.code_id, what),
      group,
      new Date(state.expires_at.getTime() + 86_400_000), // swept a day after the code expires
    );
  return {
    /** A fresh code: its state to store, its digits for the email only. */
    newCode(lifetimeMinutes: number): { code: string; state: CodeState } {
      const code = generateSixDigitCode();
      const now = Date.now();
      return {
        code,
        state: {
          code_id: randomId(),
          code_hash: deps.keys.hash(code),
          expires_at: new Date(now + lifetimeMinutes * 60_000),
          attempts: 0,
          sent_at: new Date(now),
        },
      };
    },

    /** Takes one try of the code and, when it is right, its single use. */
    async check(input: { group: string; state: CodeState; code: string }): Promise<CodeCheck> {
      const { group, state } = input;
      if (state.attempts >= maxCodeAttempts) return { outcome: "locked" };
      if (state.expires_at.getTime() <= Date.now()) return { outcome: "expired" };
      let attempt: number | null = null;
      for (let n = 1; n <= maxCodeAttempts && attempt === null; n++) {
        if (await claimFor(group, state, `try:${n}`)) attempt = n;
      }
      if (attempt === null) return { outcome: "locked" };
      if (!deps.keys.matches(input.code, state.code_hash)) {
        return { outcome: "wrong", triesLeft: maxCodeAttempts - attempt };
      }
      if (!(await claimFor(group, state, "used"))) return { outcome: "used" };
      return { outcome: "ok", undo: () => deps.claims.release(deps.keyOf(state.code_id, "used")) };
    },

    /** Takes the right to replace a code (one replacement per code). */
    claimReplacement: (group: string, state: CodeState) => claimFor(group, state, "replaced"),
    releaseReplacement: (state: CodeState) => deps.claims.release(deps.keyOf(state.code_id, "replaced")),
  };
}

export type CodeChecker = ReturnType<typeof createCodeChecker>;

/** The message for a wrong code, with the tries left. */
export function wrongCodeMessage(what: string, triesLeft: number): string {
  return triesLeft > 0
    ? `The ${what} is not valid (${triesLeft} ${triesLeft === 1 ? "try" : "tries"} left).`
    : `The ${what} is not valid, and that was the last try: request a new code.`;
}

import { claimKeys } from "./claim-keys";
import { generateSixDigitCode, randomId } from "./crypto";
import type { Keyring } from "./keyring";
import { newLinkToken } from "./link-tokens";
import type { ClaimStore } from "./ports";
import type { Throttle } from "./throttle";
import type { CodeState } from "./users/user";

/** Tries a single code survives, right one included. */
export const maxCodeAttempts = 5;
/**
 * Codes an account may try per day, all its codes together (activation and email change):
 * with 6 digits, at most 20 / 10^6 chance a day of guessing one.
 */
export const maxCodeTriesPerDay = 20;
/** The longest a resend waits: the n-th code of a day waits `cooldown × 2^n`, at most this. */
export const maxResendWaitSeconds = 86_400;

export type CodeCheck =
  | { outcome: "ok"; undo(): Promise<void> }
  | { outcome: "expired" }
  | { outcome: "locked" }
  | { outcome: "limited" }
  | { outcome: "wrong" }
  | { outcome: "used" };

/**
 * Emailed one-time codes (activation, email change) and the one-click link sent with each:
 * CSPRNG digits and 32-byte tokens, keyed hashes compared in constant time, an expiry, a
 * single use shared by code and link. A code has at most 5 tries, and an account at most
 * `maxCodeTriesPerDay` tries a day across its codes (`daily`, keyed by account); tries,
 * the daily bound and the use are claims, so that concurrency can stretch none of them.
 * The link takes no try: guessing the code cannot block the owner.
 */
export function createCodeChecker(deps: {
  claims: ClaimStore;
  /** Hashes new codes with the current key; a code hashed under any configured key matches. */
  keys: Pick<Keyring, "hash" | "matches">;
  /** The claim key of one try, use or replacement of a code (claimKeys.activationCode, ...). */
  keyOf: (codeId: string, what: string) => string;
  /** The per-account daily bound on code tries (window one day, limit maxCodeTriesPerDay). */
  daily: Throttle;
}) {
  const claimFor = (userId: string, state: CodeState, what: string) =>
    deps.claims.claim(
      deps.keyOf(state.code_id, what),
      claimKeys.userGroup(userId),
      new Date(state.expires_at.getTime() + 86_400_000), // swept a day after the code expires
    );
  const expired = (state: CodeState) => state.expires_at.getTime() <= Date.now();
  /** The single use of a code (by its digits or its link). */
  const use = async (userId: string, state: CodeState): Promise<CodeCheck> => {
    if (!(await claimFor(userId, state, "used"))) return { outcome: "used" };
    return { outcome: "ok", undo: () => deps.claims.release(deps.keyOf(state.code_id, "used")) };
  };

  return {
    /**
     * A fresh code for `userId`: its state to store, its digits and link token for the email
     * only. `replacing` is the code it replaces, whose resend count it carries on for a day.
     */
    newCode(input: { lifetimeMinutes: number; userId: string; replacing?: CodeState | null }): {
      code: string;
      token: string;
      state: CodeState;
    } {
      const code = generateSixDigitCode();
      const link = newLinkToken(deps.keys, input.userId);
      const now = Date.now();
      const previous = input.replacing;
      const resends = previous && previous.sent_at.getTime() > now - 86_400_000 ? previous.resends + 1 : 0;
      return {
        code,
        token: link.token,
        state: {
          code_id: randomId(),
          code_hash: deps.keys.hash(code),
          token_hash: link.hash,
          expires_at: new Date(now + input.lifetimeMinutes * 60_000),
          attempts: 0,
          sent_at: new Date(now),
          resends,
        },
      };
    },

    /** Takes one of the account's tries of the day and one of the code's, then its use if right. */
    async check(input: { userId: string; state: CodeState; code: string }): Promise<CodeCheck> {
      const { userId, state } = input;
      if (state.attempts >= maxCodeAttempts) return { outcome: "locked" };
      if (expired(state)) return { outcome: "expired" };
      const today = await deps.daily.acquire(claimKeys.account(userId));
      if (today.retryAfter > 0) return { outcome: "limited" };
      let attempt: number | null = null;
      try {
        for (let n = 1; n <= maxCodeAttempts && attempt === null; n++) {
          if (await claimFor(userId, state, `try:${n}`)) attempt = n;
        }
      } catch (error) {
        await today.release().catch(() => {}); // nothing was judged
        throw error;
      }
      if (attempt === null) {
        await today.release(); // nothing was judged: the day's try is not spent
        return { outcome: "locked" };
      }
      if (!deps.keys.matches(input.code, state.code_hash)) return { outcome: "wrong" };
      await today.release(); // the bound counts wrong codes only
      return use(userId, state);
    },

    /** The one-click link: no try is taken (the token cannot be guessed), same single use. */
    async checkToken(input: { userId: string; state: CodeState; token: string }): Promise<CodeCheck> {
      const { userId, state } = input;
      if (!state.token_hash || !deps.keys.matches(input.token, state.token_hash)) return { outcome: "wrong" };
      if (expired(state)) return { outcome: "expired" };
      return use(userId, state);
    },

    /** Takes the right to replace a code (one replacement per code). */
    claimReplacement: (userId: string, state: CodeState) => claimFor(userId, state, "replaced"),
    releaseReplacement: (state: CodeState) => deps.claims.release(deps.keyOf(state.code_id, "replaced")),
  };
}

export type CodeChecker = ReturnType<typeof createCodeChecker>;

/**
 * Seconds before `state` may be replaced by a new code: `cooldownSeconds × 2^resends`
 * after it was sent (at most a day), so that repeated resends back off.
 */
export function secondsUntilReplaceable(state: CodeState, cooldownSeconds: number): number {
  const wait = Math.min(maxResendWaitSeconds, cooldownSeconds * 2 ** state.resends);
  return Math.max(0, Math.ceil((state.sent_at.getTime() + wait * 1_000 - Date.now()) / 1_000));
}

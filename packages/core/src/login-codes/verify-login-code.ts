import { createHash, randomBytes } from "node:crypto";
import { claimKeys } from "../claim-keys";
import { DomainError } from "../errors";
import type { Keyring } from "../keyring";
import { userIdOfLinkToken } from "../link-tokens";
import { clientNetwork } from "../login/client-ip";
import type { SecondFactor } from "../mfa/second-factor";
import type { CodeCheck, CodeChecker } from "../one-time-codes";
import type { UserLookup } from "../ports";
import type { Throttle } from "../throttle";
import type { User } from "../users/schemas";
import { type CodeState, toUser } from "../users/user";
import { loginCodesDisabled, type RecordEvent, tooManyRequests } from "./request-login-code";
import type { VerifyLoginCodeInput } from "./schemas";

export type VerifyLoginCodeDeps = {
  users: Pick<UserLookup, "findByIdentifier" | "findById">;
  codes: Pick<CodeChecker, "check" | "checkToken">;
  /** Hashes the decoy code that identifiers without a live code are checked against. */
  keys: Pick<Keyring, "hash">;
  /**
   * Code guesses per account (or unknown identifier) per day, the right one given back:
   * every identifier meets the same bound, whatever state its code is in.
   */
  guesses: Throttle;
  /** Failed verifications per client network and window (null without a trusted proxy). */
  ipThrottle: Throttle | null;
  secondFactor: Pick<SecondFactor, "require">;
  enabled: boolean;
  recordEvent?: RecordEvent | undefined;
};

export type VerifyLoginCode = (input: VerifyLoginCodeInput, request: { clientIp: string }) => Promise<User>;

/** The one answer to every refused code or link, whatever the account's state. */
export const invalidLoginCode = () =>
  new DomainError(
    "INVALID_LOGIN_CODE",
    "The sign-in code is not valid: it is wrong, expired or used, or was sent to an address the account no longer has. Request a new one (auth/code/request).",
  );

const tooManyGuesses = (wait: number) =>
  new DomainError("TOO_MANY_ATTEMPTS", `Too many wrong sign-in codes; try again in ${wait} seconds.`, {
    retryAfterSeconds: wait,
  });

/**
 * Signs in with an emailed code (with the identifier) or its link: 200 with the user, like
 * auth/check. Unknown identifiers, inactive accounts, wrong, expired and used codes get the
 * same 401; with MFA on, the second factor must come too (MFA_REQUIRED, asked only after a
 * right code, which stays usable until the second factor is right). A code has 5 tries and
 * an identifier `guesses` a day; the link takes no try (it cannot be guessed). Single use:
 * a claim shared by code and link.
 */
export function createVerifyLoginCode(deps: VerifyLoginCodeDeps): VerifyLoginCode {
  /** Never matches: 32 hex characters are no 6-digit code. */
  const decoyHash = deps.keys.hash(randomBytes(16).toString("hex"));
  /**
   * The decoy code of `key` for the day: an identifier without a live code (unknown, not
   * active, never asked for one, or expired) is checked against it through the same store
   * work (daily bound, tries) as a live code, so that a wrong guess takes as long either way:
   * asking for a code and timing a wrong guess cannot tell an active account.
   */
  const decoyFor = (key: string, expired: CodeState | null | undefined): CodeState => {
    const day = Math.floor(Date.now() / 86_400_000);
    return {
      // An expired code's tries go on counting (as an unknown identifier's do): no fresh start to time.
      code_id:
        expired?.code_id ??
        `decoy-${createHash("sha256").update(`${key}:${day}`).digest("hex").slice(0, 24)}`,
      code_hash: decoyHash,
      token_hash: null,
      expires_at: new Date((day + 1) * 86_400_000),
      attempts: 0,
      sent_at: new Date(day * 86_400_000),
      resends: 0,
    };
  };
  const live = (state: CodeState | null | undefined): state is CodeState =>
    !!state && state.expires_at.getTime() > Date.now();

  const byCode = async (input: { identifier: string; code: string }) => {
    const user = await deps.users.findByIdentifier(input.identifier);
    const key = user ? claimKeys.account(user.id) : claimKeys.unknownAccount(input.identifier);
    const guess = await deps.guesses.acquire(key);
    if (guess.retryAfter > 0) throw tooManyGuesses(guess.retryAfter);
    const state = user?.login_code;
    let checked: CodeCheck;
    if (user && live(state)) checked = await deps.codes.check({ userId: user.id, state, code: input.code });
    else {
      // The account's own daily bound (and claim group) when there is an account, as a live code's.
      const userId = user ? user.id : `decoy:${key}`;
      const decoy = await deps.codes.check({ userId, state: decoyFor(key, state), code: input.code });
      checked = decoy.outcome === "limited" ? decoy : { outcome: "wrong" };
    }
    if (checked.outcome === "ok") await guess.release(); // the bound counts wrong codes only
    if (checked.outcome === "limited") throw tooManyGuesses(86_400);
    return { user, checked };
  };

  const byToken = async (token: string) => {
    const id = userIdOfLinkToken(token);
    const user = id ? await deps.users.findById(id) : null;
    const state = user?.login_code;
    const checked: CodeCheck =
      user && state ? await deps.codes.checkToken({ userId: user.id, state, token }) : { outcome: "wrong" };
    return { user, checked };
  };

  return async (input, request) => {
    if (!deps.enabled) throw loginCodesDisabled();
    const ip = deps.ipThrottle ? await deps.ipThrottle.acquire(clientNetwork(request.clientIp)) : null;
    if (ip && ip.retryAfter > 0) throw tooManyRequests(ip.retryAfter);
    const { user, checked } = "token" in input ? await byToken(input.token) : await byCode(input);
    if (checked.outcome !== "ok" || !user) throw invalidLoginCode();
    // Sent to an address the account gave up since, or to an account no longer active: dead.
    if (user.login_code?.email_key !== user.email_key || !user.is_active) throw invalidLoginCode();
    try {
      await deps.secondFactor.require(user, input.totp_code);
    } catch (error) {
      await checked.undo().catch(() => {}); // the code stays usable with the right second factor
      throw error;
    }
    await ip?.release();
    await deps.recordEvent?.({ type: "login.succeeded", userId: user.id, details: { method: "login_code" } });
    return toUser(user);
  };
}

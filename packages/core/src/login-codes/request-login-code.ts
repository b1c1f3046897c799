import { claimKeys } from "../claim-keys";
import { loginCodeEmail } from "../email/kinds";
import type { EmailOutbox } from "../email/outbox";
import { DomainError } from "../errors";
import type { SecurityEventInput } from "../events/catalogue";
import { linkWithToken } from "../link-tokens";
import { clientNetwork } from "../login/client-ip";
import { type CodeChecker, secondsUntilReplaceable } from "../one-time-codes";
import type { ClaimStore, LoginCodeStore, RunInBackground, UserLookup } from "../ports";
import type { Throttle } from "../throttle";
import type { UserRecord } from "../users/user";
import { loginCodeRequestedMessage } from "./schemas";

/** The login-code settings (LOGIN_CODE_*). */
export type LoginCodeOptions = {
  enabled: boolean;
  expirationMinutes: number;
  resendCooldownSeconds: number;
  /** The email's one-click link: `<url>?token=...`. */
  url: string;
};

/** Where a use case reports a security event (the audit trail and webhooks plug in here). */
export type RecordEvent = (event: SecurityEventInput) => Promise<void> | void;

export type RequestLoginCodeDeps = {
  users: Pick<UserLookup, "findByIdentifier" | "findById"> & LoginCodeStore;
  claims: Pick<ClaimStore, "claim" | "release">;
  outbox: EmailOutbox;
  codes: Pick<CodeChecker, "newCode">;
  options: LoginCodeOptions;
  /** Requests per client network and window (null without a trusted proxy: the IP is the caller's). */
  ipThrottle: Throttle | null;
  runInBackground: RunInBackground;
  recordEvent?: RecordEvent | undefined;
};

export type RequestLoginCode = (
  identifier: string,
  request: { clientIp: string },
) => Promise<{ message: string }>;

export const loginCodesDisabled = () =>
  new DomainError(
    "LOGIN_CODES_DISABLED",
    "Sign-in with an emailed code is switched off on this service (LOGIN_CODES_ENABLED); sign in with the password (auth/check).",
  );

export const tooManyRequests = (wait: number) =>
  new DomainError("TOO_MANY_ATTEMPTS", `Too many requests from this network; try again in ${wait} seconds.`, {
    retryAfterSeconds: wait,
  });

/**
 * Emails a 6-digit sign-in code and a one-click link to an active account. The answer is the
 * same whether or not the account exists or is active, and comes before any work for the
 * account (which runs in the background), so its timing cannot tell either. A new code
 * replaces the last one only once it is `cooldown × 2^n` old (n = codes of the day), and
 * only once (a claim): asking again sooner sends nothing. Other codes and links of the
 * account (activation, email change, reset) are untouched.
 */
export function createRequestLoginCode(deps: RequestLoginCodeDeps): RequestLoginCode {
  const { options } = deps;

  const send = async (user: UserRecord) => {
    const current = user.login_code;
    if (current && secondsUntilReplaceable(current, options.resendCooldownSeconds) > 0) return;
    const issue = claimKeys.loginCodeIssue(user.id, current?.code_id ?? "none");
    const keep = new Date(Date.now() + 86_400_000);
    if (!(await deps.claims.claim(issue, claimKeys.userGroup(user.id), keep))) return;
    const { code, token, state } = deps.codes.newCode({
      lifetimeMinutes: options.expirationMinutes,
      userId: user.id,
      replacing: current,
    });
    const loginCode = { ...state, email_key: user.email_key };
    let stored: boolean;
    try {
      stored = await deps.outbox.queueWith(
        {
          kind: loginCodeEmail,
          locale: user.locale,
          userId: user.id,
          ref: loginCode.code_id,
          vars: {
            to: user.email,
            firstName: user.first_name,
            code,
            link: linkWithToken(options.url, token),
            expiresInMinutes: options.expirationMinutes,
          },
        },
        () => deps.users.replaceLoginCode({ id: user.id, replacing: current?.code_id ?? null, loginCode }),
        // Stored despite the error: the code is the user's, so is its email.
        async () =>
          (await deps.users.findById(user.id))?.login_code?.code_id === loginCode.code_id ? true : null,
      );
    } catch (error) {
      await deps.claims.release(issue).catch(() => {}); // nothing was sent: a later request may try again
      throw error;
    }
    if (stored) await deps.recordEvent?.({ type: "login_code.requested", userId: user.id });
  };

  return async (identifier, request) => {
    if (!options.enabled) throw loginCodesDisabled();
    if (deps.ipThrottle) {
      const ticket = await deps.ipThrottle.acquire(clientNetwork(request.clientIp));
      if (ticket.retryAfter > 0) throw tooManyRequests(ticket.retryAfter);
    }
    const user = await deps.users.findByIdentifier(identifier);
    if (user?.is_active) deps.runInBackground(() => send(user));
    return { message: loginCodeRequestedMessage };
  };
}

import { clientNetwork } from "../login/client-ip";
import { tooManyRequests } from "../login-codes/request-login-code";
import type { Throttle, ThrottleTicket } from "../throttle";
import { isHasherBusy } from "./password-hasher";
import type { PasswordPolicy } from "./password-policy";
import type { PasswordStrength, PasswordStrengthInput } from "./schemas";

export type CheckPasswordStrength = (
  input: PasswordStrengthInput,
  request: { clientIp: string },
) => Promise<PasswordStrength>;

/**
 * The policy's verdict on a candidate password, for a frontend's strength meter: nothing is
 * stored, and the password is never logged (request bodies never are). Calls are throttled
 * per client network when the client IP is known (a trusted proxy); the estimator's queue
 * bounds the work in any case (SERVICE_BUSY).
 */
export function createCheckPasswordStrength(deps: {
  policy: Pick<PasswordPolicy, "judge">;
  ipThrottle: Throttle | null;
}): CheckPasswordStrength {
  return async (input, request) => {
    let ticket: ThrottleTicket | null = null;
    if (deps.ipThrottle) {
      ticket = await deps.ipThrottle.acquire(clientNetwork(request.clientIp));
      if (ticket.retryAfter > 0) throw tooManyRequests(ticket.retryAfter);
    }
    let verdict: Awaited<ReturnType<PasswordPolicy["judge"]>>;
    try {
      verdict = await deps.policy.judge(input.password, {}, input.user_inputs ?? []);
    } catch (error) {
      // SERVICE_BUSY (the estimator's queue is full) gives the slot back: it leaves no trace,
      // so the SDK's retry of it costs the caller nothing.
      if (isHasherBusy(error)) await ticket?.release().catch(() => {});
      throw error;
    }
    return {
      score: verdict.score,
      min_score: verdict.minScore,
      acceptable: verdict.acceptable,
      warning: verdict.warning,
      suggestions: verdict.suggestions,
    };
  };
}

import { clientNetwork } from "../login/client-ip";
import { tooManyRequests } from "../login-codes/request-login-code";
import type { Throttle } from "../throttle";
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
    if (deps.ipThrottle) {
      const ticket = await deps.ipThrottle.acquire(clientNetwork(request.clientIp));
      if (ticket.retryAfter > 0) throw tooManyRequests(ticket.retryAfter);
    }
    const verdict = await deps.policy.judge(input.password, {}, input.user_inputs ?? []);
    return {
      score: verdict.score,
      min_score: verdict.minScore,
      acceptable: verdict.acceptable,
      warning: verdict.warning,
      suggestions: verdict.suggestions,
    };
  };
}

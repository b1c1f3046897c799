import type { Settings } from "@usersvc/config";
import {
  type ClaimStore,
  claimKeys,
  createCheckPasswordStrength,
  createCodeChecker,
  createRequestLoginCode,
  createThrottle,
  createVerifyLoginCode,
  type EmailOutbox,
  type Keyring,
  maxCodeTriesPerDay,
  type PasswordPolicy,
  type RunInBackground,
  type SecondFactor,
  type SecurityEvents,
  type ThrottleLockStore,
  type UseCases,
  type UserRepository,
} from "@usersvc/core";

/**
 * The wiring of issue 18's sign-in use cases: emailed login codes (their own daily bounds, so
 * that guessing them cannot use up the tries of activation and email-change codes) and the
 * password-strength route, with per-network throttles when the client IP is the end user's
 * (a trusted proxy). Their security events go to the audit trail (and webhooks) through `events`.
 */
export function createSignInUseCases(deps: {
  settings: Settings;
  users: UserRepository;
  claims: ClaimStore;
  locks: ThrottleLockStore;
  keys: Keyring;
  outbox: EmailOutbox;
  secondFactor: SecondFactor;
  policy: PasswordPolicy;
  runInBackground: RunInBackground;
  events: SecurityEvents;
}): Pick<UseCases, "requestLoginCode" | "verifyLoginCode" | "checkPasswordStrength"> {
  const { settings, users, claims, locks, keys } = deps;
  const { loginCodes, loginThrottle } = settings;
  const daily = (name: string) =>
    createThrottle({ claims, locks, name, limit: maxCodeTriesPerDay, windowSeconds: 86_400 });
  const perNetwork = (name: string, limit: number, windowSeconds = loginThrottle.windowSeconds) =>
    settings.http.trustProxy ? createThrottle({ claims, locks, name, limit, windowSeconds }) : null;
  const codes = createCodeChecker({ claims, keys, keyOf: claimKeys.loginCode, daily: daily("login-codes") });
  return {
    requestLoginCode: createRequestLoginCode({
      users,
      claims,
      outbox: deps.outbox,
      codes,
      options: loginCodes,
      ipThrottle: perNetwork("login-code-request-ip", loginThrottle.maxFailuresPerIp),
      runInBackground: deps.runInBackground,
      recordEvent: (event) => deps.events.record(event),
    }),
    verifyLoginCode: createVerifyLoginCode({
      users,
      codes,
      keys,
      guesses: daily("login-code-guesses"),
      ipThrottle: perNetwork("login-code-ip", loginThrottle.maxFailuresPerIp),
      secondFactor: deps.secondFactor,
      enabled: loginCodes.enabled,
      recordEvent: (event) => deps.events.record(event),
    }),
    checkPasswordStrength: createCheckPasswordStrength({
      policy: deps.policy,
      ipThrottle: perNetwork("password-strength-ip", settings.passwordPolicy.strengthPerIpPerMinute, 60),
    }),
  };
}

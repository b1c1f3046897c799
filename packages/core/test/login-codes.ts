import { claimKeys } from "../src/claim-keys";
import type { SecurityEventInput } from "../src/events/catalogue";
import { createRequestLoginCode, type LoginCodeOptions } from "../src/login-codes/request-login-code";
import { createVerifyLoginCode } from "../src/login-codes/verify-login-code";
import { createCodeChecker, maxCodeTriesPerDay } from "../src/one-time-codes";
import { createThrottle } from "../src/throttle";
import { type Fakes, runInBackgroundOf, secondFactorFor, settleBackground } from "./fakes";

export const loginCodeOptions: LoginCodeOptions = {
  enabled: true,
  expirationMinutes: 10,
  resendCooldownSeconds: 60,
  url: "https://app.example.com/login-code",
};

/**
 * The login-code use cases over the fakes, wired as the server wires them (their own daily
 * bounds, per-network throttles of `ipLimit`), with the events they record.
 */
export function loginCodesFor(
  f: Fakes,
  options: Partial<LoginCodeOptions> & { ipLimit?: number | null } = {},
) {
  const { ipLimit = null, ...overrides } = options;
  const settings = { ...loginCodeOptions, ...overrides };
  const throttle = (name: string, limit: number, windowSeconds: number) =>
    createThrottle({ claims: f.claims, locks: f.locks, name, limit, windowSeconds });
  const codes = createCodeChecker({
    claims: f.claims,
    keys: f.keys,
    keyOf: claimKeys.loginCode,
    daily: throttle("login-codes", maxCodeTriesPerDay, 86_400),
  });
  const events: SecurityEventInput[] = [];
  const recordEvent = (event: SecurityEventInput) => void events.push(event);
  const requestLoginCode = createRequestLoginCode({
    users: f.users,
    claims: f.claims,
    outbox: f.outbox,
    codes,
    options: settings,
    ipThrottle: ipLimit === null ? null : throttle("login-code-request-ip", ipLimit, 900),
    runInBackground: runInBackgroundOf(f),
    recordEvent,
  });
  const verify = createVerifyLoginCode({
    users: f.users,
    codes,
    keys: f.keys,
    guesses: throttle("login-code-guesses", maxCodeTriesPerDay, 86_400),
    ipThrottle: ipLimit === null ? null : throttle("login-code-ip", ipLimit, 900),
    secondFactor: secondFactorFor(f),
    enabled: settings.enabled,
    recordEvent,
  });
  /** Requests a code and waits for the background work; fails the test if that work failed. */
  const request = async (identifier: string, clientIp = "203.0.113.1") => {
    const answer = await requestLoginCode(identifier, { clientIp });
    for (const outcome of await settleBackground(f)) if (outcome.status === "rejected") throw outcome.reason;
    return answer;
  };
  return { request, requestLoginCode, verify, events };
}

/**
 * The passkey use cases over the fakes, built as the composition root builds them (their
 * own throttle, the shared step-up and second factor), with a relying party on
 * https://app.example.com, and helpers that run real ceremonies with a software authenticator.
 */
import type { SecurityEventInput } from "../src/events/catalogue";
import { createLoginAttempts } from "../src/login/login-attempts";
import { createPasskeyUseCases } from "../src/passkeys/passkeys";
import type { PasskeyWarning } from "../src/passkeys/verify-assertion";
import { createThrottle } from "../src/throttle";
import {
  createFakes,
  runInBackgroundOf,
  secondFactorFor,
  seedPassword,
  stepUpFor,
  testEscalation,
  testLimits,
} from "./fakes";
import {
  createSoftwareAuthenticator,
  type SoftwareAuthenticator,
  type SoftwareAuthenticatorOptions,
} from "./software-authenticator";

export const origin = "https://app.example.com";
export const rp = { id: "app.example.com", name: "Example", origins: [origin], timeoutSeconds: 300 };
export const request = { clientIp: "203.0.113.7" };

export function passkeyFixture() {
  const f = createFakes();
  const warnings: PasskeyWarning[] = [];
  const events: SecurityEventInput[] = [];
  const record = async (event: SecurityEventInput) => {
    events.push(event);
  };
  const attempts = createLoginAttempts({
    events: { record, recordAll: async (inputs) => void events.push(...inputs) },
    hasher: f.hasher,
    outbox: f.outbox,
    runInBackground: runInBackgroundOf(f),
    checksPasswords: false,
    throttles: {
      account: createThrottle({
        claims: f.claims,
        locks: f.locks,
        name: "passkey",
        limit: testLimits.account,
        windowSeconds: testLimits.windowSeconds,
        escalation: testEscalation,
      }),
      ip: null,
    },
  });
  const passkeys = createPasskeyUseCases({
    rp,
    users: f.users,
    passkeys: f.passkeys,
    claims: f.claims,
    keys: f.keys,
    attempts,
    stepUp: stepUpFor(f),
    secondFactor: secondFactorFor(f),
    outbox: f.outbox,
    warn: (warning) => warnings.push(warning),
    record,
  });

  /** Registers a passkey of a software authenticator for `userId` (re-authenticated by password). */
  const register = async (
    userId: string,
    options: Partial<SoftwareAuthenticatorOptions> & { name?: string; password?: string } = {},
  ) => {
    const authenticator = createSoftwareAuthenticator({ origin, ...options });
    const creation = await passkeys.registration.options(
      { id: userId, current_password: options.password ?? seedPassword },
      request,
    );
    const passkey = await passkeys.registration.verify({
      id: userId,
      response: authenticator.register(creation),
      ...(options.name ? { name: options.name } : {}),
    });
    return { authenticator, passkey };
  };

  /** An assertion of `authenticator` to fresh sign-in options (for `identifier`, or discoverable). */
  const assertion = async (authenticator: Pick<SoftwareAuthenticator, "assert">, identifier?: string) =>
    authenticator.assert(await passkeys.signIn.options(identifier === undefined ? {} : { identifier }));

  return { f, passkeys, warnings, events, register, assertion };
}

import type { Settings } from "@usersvc/config";
import {
  type AuditStore,
  type ClaimStore,
  claimKeys,
  createActivateUser,
  createChangePassword,
  createCheckCredentials,
  createCodeChecker,
  createConfirmEmailChange,
  createDeleteUser,
  createDisableMfa,
  createForgotPassword,
  createGetActiveUserByIdentifier,
  createGetUserById,
  createHashSuccession,
  createImportUsers,
  createListEvents,
  createListUsers,
  createLoginAttempts,
  createMfaEnrolment,
  createPasskeyUseCases,
  createPasswordPolicy,
  createRegisterUser,
  createReplacePassword,
  createRequestEmailChange,
  createResendActivation,
  createResetPassword,
  createRevertEmailChange,
  createSecondFactor,
  createStepUp,
  createThrottle,
  createUpdateProfile,
  type EmailOutbox,
  type Keyring,
  maxCodeTriesPerDay,
  maxLockSeconds,
  type PasskeyStore,
  type PasskeyWarning,
  type PasswordHasher,
  type ResetTokenStore,
  type RunInBackground,
  type SecurityEvents,
  type StrengthEstimator,
  type ThrottleLockStore,
  type UseCases,
  type UserRepository,
  type WebhookManagement,
} from "@usersvc/core";
import { createSignInUseCases } from "./sign-in-use-cases";

/**
 * Every use case, wired from the adapters and the settings: the throttles (login, second
 * factor, daily code tries), the code checkers, then one factory call per use case. Wiring
 * only; every rule lives in core.
 */
export function createUseCases(deps: {
  settings: Settings;
  ports: {
    users: UserRepository;
    claims: ClaimStore;
    locks: ThrottleLockStore;
    resetTokens: ResetTokenStore;
    passkeys: PasskeyStore;
    audit: AuditStore;
  };
  keys: Keyring;
  hasher: PasswordHasher;
  /** zxcvbn on its worker thread: the password policy's estimator. */
  strength: StrengthEstimator;
  outbox: EmailOutbox;
  runInBackground: RunInBackground;
  /** Hears passkey refusals an operator should see (a signature counter that went backwards). */
  warn: (warning: PasskeyWarning) => void;
  /** Where use cases report security events (the audit trail, then webhooks). */
  events: SecurityEvents;
  /** Webhook subscriptions' management (built by the container beside the delivery worker). */
  webhooks: WebhookManagement;
}): UseCases {
  const { settings, keys, hasher, outbox, runInBackground, events } = deps;
  const { users, claims, locks, resetTokens, passkeys, audit } = deps.ports;
  const { loginThrottle } = settings;
  // Account locks double per consecutive lock, up to 24 h; a series is forgotten after a
  // quiet day or at the next right password. Per-IP locks last to the window's end.
  const escalation = { maxSeconds: maxLockSeconds, memorySeconds: 86_400 };
  const throttle = (name: string, limit: number, escalate: boolean) =>
    createThrottle({
      claims,
      locks,
      name,
      limit,
      windowSeconds: loginThrottle.windowSeconds,
      ...(escalate ? { escalation } : {}),
    });
  // Code tries per account per day, activation and email change together.
  const daily = createThrottle({
    claims,
    locks,
    name: "codes",
    limit: maxCodeTriesPerDay,
    windowSeconds: 86_400,
  });
  const activationCodes = createCodeChecker({ claims, keys, keyOf: claimKeys.activationCode, daily });
  const emailChangeCodes = createCodeChecker({ claims, keys, keyOf: claimKeys.emailChangeCode, daily });
  // Failures per account per UTC day (slots taken on failures only): a guesser who paces
  // below a window's limit is stopped here.
  const perDay = (name: string, limit: number) =>
    createThrottle({ claims, locks, name, limit, windowSeconds: 86_400 });
  const attempts = createLoginAttempts({
    hasher,
    outbox,
    runInBackground,
    events,
    throttles: {
      account: throttle("password", loginThrottle.maxFailures, true),
      // Without a trusted proxy the "client" is the calling service: no per-IP throttling.
      ip: settings.http.trustProxy ? throttle("password-ip", loginThrottle.maxFailuresPerIp, false) : null,
      day: perDay("password-day", loginThrottle.maxFailuresPerDay),
    },
  });
  const secondFactor = createSecondFactor({
    users,
    claims,
    outbox,
    throttle: throttle("mfa", loginThrottle.maxMfaFailures, true),
    day: perDay("mfa-day", loginThrottle.maxMfaFailuresPerDay),
    keys,
    events,
  });
  const succession = createHashSuccession({ claims, users });
  const replacePassword = createReplacePassword({ users, succession, resetTokens, attempts, outbox });
  const stepUp = createStepUp({ attempts, hasher, secondFactor });
  const { activation, passwordReset, emailChange } = settings;
  const policy = createPasswordPolicy({
    minScore: settings.passwordPolicy.minScore,
    estimator: deps.strength,
  });
  // Passkey failures have slots of their own (same limits): guessing passwords cannot lock
  // an account's passkeys out, nor the reverse.
  const passkeyAttempts = createLoginAttempts({
    hasher,
    // No "wrong password" notice: a failed passkey is no guess at a secret the owner must change.
    outbox: { queue: async () => {} },
    runInBackground,
    checksPasswords: false,
    events,
    throttles: {
      account: throttle("passkey", loginThrottle.maxFailures, true),
      ip: settings.http.trustProxy ? throttle("passkey-ip", loginThrottle.maxFailuresPerIp, false) : null,
    },
  });
  const { webauthn } = settings;

  return {
    registerUser: createRegisterUser({
      users,
      claims,
      outbox,
      hasher,
      policy,
      codes: activationCodes,
      codeLifetimeMinutes: activation.codeLifetimeMinutes,
      activationUrl: activation.url,
      events,
    }),
    activateUser: createActivateUser({ users, codes: activationCodes, events }),
    resendActivation: createResendActivation({
      users,
      outbox,
      codes: activationCodes,
      codeLifetimeMinutes: activation.codeLifetimeMinutes,
      activationUrl: activation.url,
      cooldownSeconds: activation.resendCooldownSeconds,
    }),
    getUserById: createGetUserById({ users }),
    getActiveUserByIdentifier: createGetActiveUserByIdentifier({ users }),
    deleteUser: createDeleteUser({ users, outbox, claims, resetTokens, passkeys, events }),
    listUsers: createListUsers({ users }),
    updateProfile: createUpdateProfile({ users, events }),
    checkCredentials: createCheckCredentials({ users, attempts, hasher, secondFactor, succession, events }),
    forgotPassword: createForgotPassword({
      users,
      resetTokens,
      outbox,
      claims,
      keys,
      reset: passwordReset,
      runInBackground,
      events,
    }),
    resetPassword: createResetPassword({
      users,
      resetTokens,
      claims,
      hasher,
      policy,
      keys,
      replacePassword,
      events,
    }),
    changePassword: createChangePassword({
      users,
      attempts,
      hasher,
      policy,
      secondFactor,
      replacePassword,
      events,
    }),
    mfaEnrolment: createMfaEnrolment({
      users,
      claims,
      secondFactor,
      keys,
      stepUp,
      outbox,
      issuer: settings.mfa.issuer,
      events,
    }),
    disableMfa: createDisableMfa({ users, secondFactor, stepUp, outbox, events }),
    requestEmailChange: createRequestEmailChange({
      users,
      claims,
      outbox,
      codes: emailChangeCodes,
      stepUp,
      codeLifetimeMinutes: activation.codeLifetimeMinutes,
      confirmUrl: emailChange.confirmUrl,
      cooldownSeconds: activation.resendCooldownSeconds,
      events,
    }),
    confirmEmailChange: createConfirmEmailChange({
      users,
      claims,
      outbox,
      codes: emailChangeCodes,
      resetTokens,
      keys,
      revertUrl: emailChange.revertUrl,
      events,
    }),
    revertEmailChange: createRevertEmailChange({
      users,
      claims,
      resetTokens,
      passkeys,
      outbox,
      keys,
      events,
    }),
    importUsers: createImportUsers({ users, keys, events }),
    ...createSignInUseCases({
      settings,
      users,
      claims,
      locks,
      keys,
      outbox,
      secondFactor,
      policy,
      runInBackground,
      events,
    }),
    passkeys: createPasskeyUseCases({
      rp: {
        id: webauthn.rpId,
        name: webauthn.rpName,
        origins: webauthn.origins,
        timeoutSeconds: webauthn.timeoutSeconds,
      },
      users,
      passkeys,
      claims,
      keys,
      attempts: passkeyAttempts,
      stepUp,
      secondFactor,
      outbox,
      warn: deps.warn,
      record: (event) => events.record(event),
    }),
    listEvents: createListEvents({ events: audit }),
    webhooks: deps.webhooks,
  };
}

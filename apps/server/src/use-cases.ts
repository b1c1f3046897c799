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
  type PasswordHasher,
  type ResetTokenStore,
  type RunInBackground,
  type SecurityEvents,
  type ThrottleLockStore,
  type UseCases,
  type UserRepository,
  type WebhookManagement,
} from "@usersvc/core";

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
    audit: AuditStore;
  };
  keys: Keyring;
  hasher: PasswordHasher;
  outbox: EmailOutbox;
  runInBackground: RunInBackground;
  /** Where use cases report security events (the audit trail, then webhooks). */
  events: SecurityEvents;
  /** Webhook subscriptions' management (built by the container beside the delivery worker). */
  webhooks: WebhookManagement;
}): UseCases {
  const { settings, keys, hasher, outbox, runInBackground, events } = deps;
  const { users, claims, locks, resetTokens, audit } = deps.ports;
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
  const attempts = createLoginAttempts({
    hasher,
    outbox,
    runInBackground,
    events,
    throttles: {
      account: throttle("password", loginThrottle.maxFailures, true),
      // Without a trusted proxy the "client" is the calling service: no per-IP throttling.
      ip: settings.http.trustProxy ? throttle("password-ip", loginThrottle.maxFailuresPerIp, false) : null,
    },
  });
  const secondFactor = createSecondFactor({
    users,
    claims,
    outbox,
    throttle: throttle("mfa", loginThrottle.maxMfaFailures, true),
    keys,
    events,
  });
  const succession = createHashSuccession({ claims, users });
  const replacePassword = createReplacePassword({ users, succession, resetTokens, attempts, outbox });
  const stepUp = createStepUp({ attempts, hasher, secondFactor });
  const { activation, passwordReset, emailChange } = settings;

  return {
    registerUser: createRegisterUser({
      users,
      claims,
      outbox,
      hasher,
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
    deleteUser: createDeleteUser({ users, outbox, claims, resetTokens, events }),
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
    resetPassword: createResetPassword({ users, resetTokens, claims, hasher, keys, replacePassword, events }),
    changePassword: createChangePassword({ users, attempts, hasher, secondFactor, replacePassword, events }),
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
    revertEmailChange: createRevertEmailChange({ users, claims, resetTokens, outbox, keys, events }),
    importUsers: createImportUsers({ users, keys, events }),
    listEvents: createListEvents({ events: audit }),
    webhooks: deps.webhooks,
  };
}

import type { Settings } from "@usersvc/config";
import {
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
  createListUsers,
  createLoginAttempts,
  createMfaEnrolment,
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
  type PasswordHasher,
  type ResetTokenStore,
  type RunInBackground,
  type StrengthEstimator,
  type ThrottleLockStore,
  type UseCases,
  type UserRepository,
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
  };
  keys: Keyring;
  hasher: PasswordHasher;
  /** zxcvbn on its worker thread: the password policy's estimator. */
  strength: StrengthEstimator;
  outbox: EmailOutbox;
  runInBackground: RunInBackground;
}): UseCases {
  const { settings, keys, hasher, outbox, runInBackground } = deps;
  const { users, claims, locks, resetTokens } = deps.ports;
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
  });
  const succession = createHashSuccession({ claims, users });
  const replacePassword = createReplacePassword({ users, succession, resetTokens, attempts, outbox });
  const stepUp = createStepUp({ attempts, hasher, secondFactor });
  const { activation, passwordReset, emailChange } = settings;
  const policy = createPasswordPolicy({
    minScore: settings.passwordPolicy.minScore,
    estimator: deps.strength,
  });

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
    }),
    activateUser: createActivateUser({ users, codes: activationCodes }),
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
    deleteUser: createDeleteUser({ users, outbox, claims, resetTokens }),
    listUsers: createListUsers({ users }),
    updateProfile: createUpdateProfile({ users }),
    checkCredentials: createCheckCredentials({ users, attempts, hasher, secondFactor, succession }),
    forgotPassword: createForgotPassword({
      users,
      resetTokens,
      outbox,
      claims,
      keys,
      reset: passwordReset,
      runInBackground,
    }),
    resetPassword: createResetPassword({ users, resetTokens, claims, hasher, policy, keys, replacePassword }),
    changePassword: createChangePassword({ users, attempts, hasher, policy, secondFactor, replacePassword }),
    mfaEnrolment: createMfaEnrolment({
      users,
      claims,
      secondFactor,
      keys,
      stepUp,
      outbox,
      issuer: settings.mfa.issuer,
    }),
    disableMfa: createDisableMfa({ users, secondFactor, stepUp, outbox }),
    requestEmailChange: createRequestEmailChange({
      users,
      claims,
      outbox,
      codes: emailChangeCodes,
      stepUp,
      codeLifetimeMinutes: activation.codeLifetimeMinutes,
      confirmUrl: emailChange.confirmUrl,
      cooldownSeconds: activation.resendCooldownSeconds,
    }),
    confirmEmailChange: createConfirmEmailChange({
      users,
      claims,
      outbox,
      codes: emailChangeCodes,
      resetTokens,
      keys,
      revertUrl: emailChange.revertUrl,
    }),
    revertEmailChange: createRevertEmailChange({ users, claims, resetTokens, outbox, keys }),
    importUsers: createImportUsers({ users, keys }),
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
    }),
  };
}

export { createResetTokenRepository, type ResetTokenRepository } from "./auth/reset-tokens";
export {
  type ChangePasswordInput,
  type CheckCredentialsInput,
  changePasswordInputSchema,
  checkCredentialsInputSchema,
  forgotPasswordInputSchema,
  forgotPasswordMessage,
  type ResetPasswordInput,
  resetPasswordInputSchema,
} from "./auth/schemas";
export {
  type AuthService,
  type AuthServiceDeps,
  createAuthService,
  type RequestInfo,
} from "./auth/service";
export { type ClaimStore, createClaimStore } from "./claims";
export {
  decrypt,
  deriveKeys,
  encrypt,
  generateSixDigitCode,
  hashCode,
  hashesEqual,
  type Keys,
} from "./crypto";
export { connectDatabase, type DatabaseOptions, pingDatabase } from "./database";
export {
  DomainError,
  type DomainErrorCode,
  type DomainErrorOptions,
  domainErrorCodes,
  type FieldIssue,
  isDatabaseUnavailable,
  toDomainError,
} from "./errors";
export { createHealthService, type HealthReport, type HealthService } from "./health";
export { createSmtpMailer, type EmailMessage, type Mailer, type SmtpOptions } from "./mail/mailer";
export { activationEmail, passwordChangedEmail, passwordResetEmail } from "./mail/templates";
export {
  confirmMfaInputSchema,
  disableMfaInputSchema,
  enableMfaInputSchema,
  mfaEnrolmentSchema,
  mfaQrInputSchema,
  mfaQrSchema,
  recoveryCodesSchema,
} from "./mfa/schemas";
export { createMfaService, type MfaService, type MfaServiceDeps } from "./mfa/service";
export { currentTotp, newTotpSecret, verifyTotp } from "./mfa/totp";
export { type OutboxDocument, outboxModel } from "./outbox/model";
export {
  type ClaimedMessage,
  createOutboxRepository,
  type OutboxRepository,
  type OutboxStats,
} from "./outbox/repository";
export {
  createOutboxWorker,
  type MessageVerdict,
  type OutboxEvent,
  type OutboxWorker,
  type OutboxWorkerOptions,
} from "./outbox/worker";
export {
  createPasswordHasher,
  isHasherBusy,
  owaspArgon2id,
  type PasswordHasher,
  type PasswordHashingOptions,
} from "./passwords";
export { createThrottle, type Throttle } from "./throttle";
export { createManagementService, emailChangeKind, type ManagementService } from "./users/management";
export {
  changeEmailInputSchema,
  confirmEmailInputSchema,
  type ListUsersInput,
  listUsersInputSchema,
  type UpdateUserInput,
  updateUserInputSchema,
  userPageSchema,
} from "./users/management-schemas";
export { type ActivationState, type UserDocument, userModel } from "./users/model";
export { createUserRepository, toUser, type UserRepository } from "./users/repository";
export {
  activateUserInputSchema,
  type CreateUserInput,
  createUserInputSchema,
  emailSchema,
  genders,
  identifierSchema,
  messageSchema,
  normalizeKey,
  objectIdSchema,
  passwordSchema,
  roles,
  type User,
  usernameSchema,
  userSchema,
} from "./users/schemas";
export {
  activationEmailKind,
  createUserService,
  maxActivationAttempts,
  resendActivationMessage,
  type UserService,
} from "./users/service";

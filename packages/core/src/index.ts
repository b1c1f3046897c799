/*
 * The domain of the users service: use cases (one folder per flow), the ports they depend on,
 * the MongoDB adapters of those ports, zod schemas, email, and domain errors. No HTTP, no
 * process.env: the server's composition root wires everything (apps/server/src/container.ts).
 */

export { claimKeys } from "./claim-keys";
export { deriveKeys, type Keys } from "./crypto";
// Email
export {
  type BaseEmailVars,
  type EmailKind,
  type EmailKindDefinition,
  emailKinds,
  type MessageVerdict,
} from "./email/kinds";
export { createSmtpMailer, type EmailMessage, type Mailer, type SmtpOptions } from "./email/mailer";
export { builtinEmailTemplates, createEmailOutbox, type EmailOutbox } from "./email/outbox";
export type { ClaimedMessage, OutboxStats, OutboxStore } from "./email/outbox-store";
export {
  createOutboxWorker,
  type OutboxEvent,
  type OutboxWorker,
  type OutboxWorkerOptions,
} from "./email/outbox-worker";
export { type EmailPreview, previewEmails } from "./email/preview";
export {
  builtinTemplatesDir,
  canonicalLocale,
  EmailTemplateError,
  type EmailTemplates,
  loadEmailTemplates,
  type RenderedEmail,
} from "./email/templates";
// Email change
export {
  type ConfirmEmailChange,
  createConfirmEmailChange,
  emailRevertDays,
} from "./email-change/confirm-email-change";
export { createRequestEmailChange, type RequestEmailChange } from "./email-change/request-email-change";
export { createRevertEmailChange, type RevertEmailChange } from "./email-change/revert-email-change";
// Errors and crypto
export {
  DomainError,
  type DomainErrorCode,
  type DomainErrorOptions,
  domainErrorCodes,
  type FieldIssue,
  isDatabaseUnavailable,
  toDomainError,
} from "./errors";
// Security events (audit trail, webhooks)
export {
  type EventType,
  eventTypeSchema,
  eventTypes,
  type SecurityEventInput,
  type WebhookEvent,
  webhookEventSchema,
} from "./events/catalogue";
// Health and persistence (MongoDB adapters of the ports)
export { createHealthService, type HealthReport, type HealthService } from "./health";
// Import of users made elsewhere
export { createImportUsers, type ImportUsers } from "./import/import-users";
export * from "./import/schemas";
export { createKeyring, type Keyring, type KeyringKey } from "./keyring";
// Login
export { type CheckCredentials, createCheckCredentials } from "./login/check-credentials";
export { clientNetwork } from "./login/client-ip";
export { createLoginAttempts, type LoginAttempts } from "./login/login-attempts";
export * from "./login/schemas";
export { createStepUp, type StepUp } from "./login/step-up";
// Emailed one-time login codes
export {
  createRequestLoginCode,
  type LoginCodeOptions,
  type RequestLoginCode,
} from "./login-codes/request-login-code";
export * from "./login-codes/schemas";
export { createVerifyLoginCode, type VerifyLoginCode } from "./login-codes/verify-login-code";
// MFA
export { createDisableMfa, type DisableMfa } from "./mfa/disable-mfa";
export { createMfaEnrolment, type MfaEnrolment } from "./mfa/enrolment";
export * from "./mfa/schemas";
export { createSecondFactor, type SecondFactor } from "./mfa/second-factor";
export { currentTotp } from "./mfa/totp";
export { type CodeChecker, createCodeChecker, maxCodeTriesPerDay } from "./one-time-codes";
// Passkeys (WebAuthn)
export { type ChallengeGrant, createPasskeyChallenges } from "./passkeys/challenges";
export type { ManagePasskeys } from "./passkeys/manage-passkeys";
export type { PasskeySignIn } from "./passkeys/passkey-sign-in";
export { createPasskeyUseCases, type PasskeyUseCases } from "./passkeys/passkeys";
export type { RegisterPasskey } from "./passkeys/register-passkey";
export type { RelyingPartyOptions } from "./passkeys/relying-party";
export * from "./passkeys/schemas";
export type { PasskeyWarning } from "./passkeys/verify-assertion";
export { type Argon2Runner, childProcessArgon2, inProcessArgon2 } from "./password/argon2-runner";
// Passwords
export { type ChangePassword, createChangePassword } from "./password/change-password";
export { createForgotPassword, type ForgotPassword } from "./password/forgot-password";
export { createHashSuccession, type HashSuccession } from "./password/hash-succession";
export { describeHash, type HashDescription, type HashFormat, isLegacyHash } from "./password/legacy-hashes";
export {
  createPasswordHasher,
  isHasherBusy,
  isHashingFailure,
  owaspArgon2id,
  type PasswordHasher,
  type PasswordHashingOptions,
} from "./password/password-hasher";
export { createPasswordPolicy, type PasswordPolicy } from "./password/password-policy";
export { type CheckPasswordStrength, createCheckPasswordStrength } from "./password/password-strength";
export { createReplacePassword, type ReplacePassword } from "./password/replace-password";
export { createResetPassword, type ResetPassword } from "./password/reset-password";
export * from "./password/schemas";
export { createStrengthEstimator, type StrengthEstimator } from "./password/strength-estimator";
export { createClaimStore, type WriteConcernOption } from "./persistence/claim-store";
export { connectDatabase, type DatabaseOptions, pingDatabase } from "./persistence/connection";
export {
  createKeyRotation,
  type KeyRotation,
  type ResealCounts,
  type ResealProgress,
  type ResealReport,
} from "./persistence/key-rotation";
export { createOutboxRepository } from "./persistence/outbox-repository";
export { createPasskeyRepository } from "./persistence/passkey-repository";
export { createResetTokenRepository } from "./persistence/reset-token-repository";
export { createThrottleLockStore } from "./persistence/throttle-lock-store";
export { createUserRepository } from "./persistence/user-repository";
// Ports and shared mechanisms
export type * from "./ports";
// Profiles and the directory
export { createDeleteUser, type DeleteUser } from "./profile/delete-user";
export { createListUsers, type ListUsers, type UserPage } from "./profile/list-users";
export {
  createGetActiveUserByIdentifier,
  createGetUserById,
  type GetActiveUserByIdentifier,
  type GetUserById,
} from "./profile/lookup";
export * from "./profile/schemas";
export { createUpdateProfile, type UpdateProfile } from "./profile/update-profile";
// Registration
export { type ActivateUser, createActivateUser } from "./registration/activate-user";
export { createRegisterUser, type RegisterUser } from "./registration/register-user";
export {
  createResendActivation,
  type ResendActivation,
  resendActivationMessage,
} from "./registration/resend-activation";
export { createThrottle, maxLockSeconds, type Throttle } from "./throttle";
export * from "./users/schemas";
// Users: records, the public view, schemas
export { type PublicUserRecord, toUser, type UserRecord } from "./users/user";

/** Every use case the API serves, as the composition root builds them. */
export type UseCases = {
  registerUser: import("./registration/register-user").RegisterUser;
  activateUser: import("./registration/activate-user").ActivateUser;
  resendActivation: import("./registration/resend-activation").ResendActivation;
  getUserById: import("./profile/lookup").GetUserById;
  getActiveUserByIdentifier: import("./profile/lookup").GetActiveUserByIdentifier;
  deleteUser: import("./profile/delete-user").DeleteUser;
  listUsers: import("./profile/list-users").ListUsers;
  updateProfile: import("./profile/update-profile").UpdateProfile;
  checkCredentials: import("./login/check-credentials").CheckCredentials;
  forgotPassword: import("./password/forgot-password").ForgotPassword;
  resetPassword: import("./password/reset-password").ResetPassword;
  changePassword: import("./password/change-password").ChangePassword;
  mfaEnrolment: import("./mfa/enrolment").MfaEnrolment;
  disableMfa: import("./mfa/disable-mfa").DisableMfa;
  requestEmailChange: import("./email-change/request-email-change").RequestEmailChange;
  confirmEmailChange: import("./email-change/confirm-email-change").ConfirmEmailChange;
  revertEmailChange: import("./email-change/revert-email-change").RevertEmailChange;
  importUsers: import("./import/import-users").ImportUsers;
  requestLoginCode: import("./login-codes/request-login-code").RequestLoginCode;
  verifyLoginCode: import("./login-codes/verify-login-code").VerifyLoginCode;
  checkPasswordStrength: import("./password/password-strength").CheckPasswordStrength;
  passkeys: import("./passkeys/passkeys").PasskeyUseCases;
  listEvents: import("./events/list-events").ListEvents;
  webhooks: import("./webhooks/manage").WebhookManagement;
};
// Audit trail
export type { AuditEvent, AuditQuery, AuditStore } from "./events/audit-store";
export { createListEvents, type ListEvents, toAuditEventView } from "./events/list-events";
export {
  createSecurityEventRecorder,
  type EventContext,
  type SecurityEventRecorder,
  type SecurityEventRecorderOptions,
} from "./events/recorder";
export * from "./events/schemas";
// Migration from the Python service
export { type InvalidRow, mapLegacyUser } from "./migration/legacy-user";
export {
  createPythonMigration,
  type MigrationProgress,
  type MigrationReport,
  type PythonMigration,
  type TakenInTarget,
} from "./migration/migrate-from-python";
export { createLegacyUserSource, createMigrationTarget } from "./migration/mongo";
export { type Candidate, type Conflict, planMigration } from "./migration/plan";
export type { LegacyRow, LegacyUserSource, MigratedUser, MigrationTarget } from "./migration/ports";
export { createAuditRepository } from "./persistence/audit-repository";
// Webhooks
export { createWebhookRepository } from "./persistence/webhook-repository";
export { createWebhookFanout, webhookEventOf } from "./webhooks/fanout";
export {
  createHttpWebhookSender,
  type WebhookRequest,
  type WebhookResponse,
  WebhookSendError,
  type WebhookSender,
} from "./webhooks/http-sender";
export { createWebhookManagement, type WebhookManagement } from "./webhooks/manage";
export * from "./webhooks/schemas";
export { newWebhookSecret, signWebhook } from "./webhooks/signing";
export type * from "./webhooks/store";
export { addressProblem, type TargetPolicy, urlProblem } from "./webhooks/target-policy";
export { createWebhookWorker, type WebhookWorker, type WebhookWorkerEvent } from "./webhooks/worker";

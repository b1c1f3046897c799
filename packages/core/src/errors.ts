/**
 * Stable, machine-readable codes of every failure the domain can report. They are part of
 * the public contract: REST bodies, tRPC errors and the SDK all carry them unchanged.
 */
export const domainErrorCodes = [
  "VALIDATION_ERROR",
  "USER_NOT_FOUND",
  "USERNAME_TAKEN",
  "EMAIL_TAKEN",
  "INVALID_CREDENTIALS",
  "USER_NOT_ACTIVE",
  "PASSWORD_RESET_REQUIRED",
  "USER_ALREADY_ACTIVE",
  "EMAIL_CHANGE_NOT_PENDING",
  "INVALID_EMAIL_CODE",
  "EMAIL_CODE_EXPIRED",
  "EMAIL_CODE_LOCKED",
  "INVALID_ACTIVATION_CODE",
  "ACTIVATION_CODE_EXPIRED",
  "ACTIVATION_CODE_LOCKED",
  "MFA_REQUIRED",
  "INVALID_MFA_CODE",
  "MFA_ALREADY_ENABLED",
  "MFA_NOT_ENABLED",
  "MFA_NOT_PENDING",
  "INVALID_OR_EXPIRED_TOKEN",
  "INVALID_PASSKEY",
  "PASSKEY_CHALLENGE_INVALID",
  "PASSKEY_NOT_FOUND",
  "PASSKEY_ALREADY_REGISTERED",
  "LAST_SIGN_IN_METHOD",
  "TOO_MANY_ATTEMPTS",
  "DATABASE_UNAVAILABLE",
  "SERVICE_BUSY",
  // Issue 18: password policy and emailed login codes
  "WEAK_PASSWORD",
  "INVALID_LOGIN_CODE",
  "LOGIN_CODES_DISABLED",
  "WEBHOOK_NOT_FOUND",
] as const;

export type DomainErrorCode = (typeof domainErrorCodes)[number];

export type FieldIssue = { path: string; message: string };

export type DomainErrorOptions = {
  cause?: unknown;
  /** Field problems, for VALIDATION_ERROR; zxcvbn's warning and suggestions for WEAK_PASSWORD. */
  issues?: readonly FieldIssue[];
  /** Seconds after which a retry may succeed (TOO_MANY_ATTEMPTS, *_UNAVAILABLE, SERVICE_BUSY). */
  retryAfterSeconds?: number;
};

/** A failure the caller can act on: a stable `code` plus a message safe to show them. */
export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly issues: readonly FieldIssue[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: DomainErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DomainError";
    this.code = code;
    this.issues = options.issues ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

const unavailableErrorNames = new Set([
  "MongoServerSelectionError",
  "MongooseServerSelectionError",
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoNotConnectedError",
  "MongoTopologyClosedError",
  "MongoPoolClearedError",
]);

/** Server error codes of a replica set between primaries or a node going away. */
const transientServerCodes = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);

/** True for driver errors that mean "the database cannot be reached right now". */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (unavailableErrorNames.has(error.name)) return true;
  if ("errorLabels" in error && Array.isArray(error.errorLabels)) {
    if (error.errorLabels.includes("RetryableWriteError") || error.errorLabels.includes("ResetPool"))
      return true;
  }
  if (error.name === "MongoServerError" && "code" in error && typeof error.code === "number") {
    if (transientServerCodes.has(error.code)) return true;
  }
  // mongoose with bufferCommands=false while disconnected
  return error.name === "MongooseError" && /initial connection|not connected/i.test(error.message);
}

/** Turns infrastructure failures into domain errors; returns other errors unchanged. */
export function toDomainError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  if (isDatabaseUnavailable(error)) {
    return new DomainError("DATABASE_UNAVAILABLE", "The database is unavailable; retry shortly.", {
      cause: error,
      retryAfterSeconds: 2,
    });
  }
  return error;
}

/** The 409 for a username or email that is already used. */
export function takenError(code: "USERNAME_TAKEN" | "EMAIL_TAKEN"): DomainError {
  return code === "USERNAME_TAKEN"
    ? new DomainError("USERNAME_TAKEN", "This username is already taken; choose another.")
    : new DomainError("EMAIL_TAKEN", "An account with this email address already exists.");
}

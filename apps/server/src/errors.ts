import { TRPCError } from "@trpc/server";
import { DomainError, type FieldIssue, toDomainError } from "@usersvc/core";
import { ZodError } from "zod";
import { type ErrorCode, errorCodeToTrpc, httpStatusOf, trpcToErrorCode } from "./error-codes";
import { InsufficientScopeError } from "./scope-error";
import type { ApiScope } from "./trpc";

/** What a caller learns about a failure: the same on REST and on tRPC. */
export type ErrorDescription = {
  code: ErrorCode;
  httpStatus: number;
  message: string;
  issues: FieldIssue[];
  retryAfterSeconds: number | undefined;
  /** INSUFFICIENT_SCOPE only: the scope the caller's key lacks. */
  requiredScope?: ApiScope;
};

const descriptions = new WeakMap<TRPCError, ErrorDescription>();

/**
 * Describes an error raised while serving a procedure, hiding internals of 5xx errors. An
 * error is described once: the error formatter, the REST adapter, response headers, metrics
 * and logs all read the same description, whichever of tRPC's hooks asks first.
 */
export function describeError(error: TRPCError): ErrorDescription {
  let described = descriptions.get(error);
  if (!described) {
    described = describe(error);
    descriptions.set(error, described);
  }
  return described;
}

/** The description of a failure the HTTP layer answers itself (404, 405, 413, ...). */
export function describeTransportError(code: ErrorCode, message: string): ErrorDescription {
  return {
    code,
    httpStatus: httpStatusOf[errorCodeToTrpc[code]],
    message,
    issues: [],
    retryAfterSeconds: undefined,
  };
}

function describe(error: TRPCError): ErrorDescription {
  const cause = toDomainError(error.cause);
  if (cause instanceof DomainError) {
    return {
      code: cause.code,
      httpStatus: httpStatusOf[errorCodeToTrpc[cause.code]],
      message: cause.message,
      issues: [...cause.issues],
      retryAfterSeconds: cause.retryAfterSeconds,
    };
  }
  if (error.cause instanceof InsufficientScopeError) {
    return {
      ...describeTransportError("INSUFFICIENT_SCOPE", error.cause.message),
      requiredScope: error.cause.scope,
    };
  }
  // Input validation only: a ZodError from output validation is our bug (a 500).
  if (cause instanceof ZodError && error.code === "BAD_REQUEST") {
    const issues = cause.issues.map((issue) => ({
      path: issue.path.map(String).join("."),
      message: issue.message,
    }));
    return {
      code: "VALIDATION_ERROR",
      httpStatus: 400,
      message: validationMessage(issues),
      issues,
      retryAfterSeconds: undefined,
    };
  }
  const code = trpcToErrorCode[error.code];
  if (code) return describeTransportError(code, error.message);
  return describeTransportError(
    "INTERNAL_ERROR",
    "Internal server error; the request id in X-Request-Id identifies it in the logs.",
  );
}

/** Re-throws a domain (or infrastructure) failure as the TRPCError whose code fixes its HTTP status. */
export function toTrpcError(error: TRPCError): TRPCError {
  const cause = toDomainError(error.cause);
  if (!(cause instanceof DomainError)) return error;
  return new TRPCError({ code: errorCodeToTrpc[cause.code], message: cause.message, cause });
}

/** One readable sentence from field issues: "Invalid input: username: Too short; email: ..." */
export function validationMessage(issues: readonly FieldIssue[]): string {
  return `Invalid input: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}`;
}

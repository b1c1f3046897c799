import { TRPCClientError } from "@trpc/client";
import type { AnyRouter } from "@trpc/server";
import type { ApiScope, ErrorCode, ErrorData } from "@usersvc/server";

/**
 * Every code a call can fail with: the service's codes, plus those the client itself sees
 * (no answer, `timeoutMs` passed, the caller's own signal aborted the call).
 */
export type UsersServiceErrorCode = ErrorCode | "NETWORK_ERROR" | "TIMEOUT" | "ABORTED";

export type FieldIssue = { path: string; message: string };

/** Marks instances, so the ESM and CJS builds loaded side by side recognise each other's errors. */
const brand = Symbol.for("@usersvc/sdk/UsersServiceError");

function clientCode(cause: unknown): "NETWORK_ERROR" | "TIMEOUT" | "ABORTED" {
  if (cause instanceof Error && cause.name === "TimeoutError") return "TIMEOUT";
  if (cause instanceof Error && cause.name === "AbortError") return "ABORTED";
  return "NETWORK_ERROR";
}

/**
 * The one error every client call rejects with. Switch on `code` (a string-literal union):
 * `status` is the HTTP status (absent for network errors and timeouts), `issues` lists the
 * field problems of a VALIDATION_ERROR, `retryAfterSeconds` comes with 429 and 503, and
 * `requiredScope` with 403 INSUFFICIENT_SCOPE (the scope the API key lacks).
 */
export class UsersServiceError extends TRPCClientError<AnyRouter> {
  readonly [brand] = true;
  readonly code: UsersServiceErrorCode;
  readonly status: number | undefined;
  readonly issues: readonly FieldIssue[];
  readonly retryAfterSeconds: number | undefined;
  /**
   * The request's id (the service's `X-Request-Id` answer, else the `requestId` you sent):
   * quote it to find the request in the service's logs.
   */
  readonly requestId: string | undefined;
  /** The scope the API key lacks, with 403 INSUFFICIENT_SCOPE. */
  readonly requiredScope: ApiScope | undefined;

  constructor(from: TRPCClientError<AnyRouter>, context: { requestId?: string | undefined } = {}) {
    super(from.message, {
      ...(from.shape ? { result: { error: from.shape } } : {}),
      ...(from.cause ? { cause: from.cause } : {}),
      ...(from.meta ? { meta: from.meta } : {}),
    });
    // TRPCClientError resets the prototype to its own; restore ours.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "UsersServiceError";
    const data = from.data as Partial<ErrorData> | undefined;
    this.code = data?.code ?? clientCode(from.cause);
    const response = (from.meta as { response?: { status?: unknown; headers?: unknown } } | undefined)
      ?.response;
    const headers = response?.headers as { get?: unknown } | undefined;
    const header = (name: string): string | undefined => {
      const value: unknown = typeof headers?.get === "function" ? headers.get(name) : undefined;
      return typeof value === "string" ? value : undefined;
    };
    this.status = data?.httpStatus ?? (typeof response?.status === "number" ? response.status : undefined);
    this.issues = data?.issues ?? [];
    const retryAfter = Number(header("retry-after"));
    this.retryAfterSeconds =
      data?.retryAfterSeconds ??
      (header("retry-after") && Number.isFinite(retryAfter) ? retryAfter : undefined);
    this.requestId = header("x-request-id") ?? context.requestId;
    this.requiredScope = data?.requiredScope;
    if (this.code === "TIMEOUT") this.message = "The users service did not answer in time.";
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && brand in value;
  }
}

/** Narrows an unknown error to a UsersServiceError (optionally one with a given code). */
export function isUsersServiceError<TCode extends UsersServiceErrorCode>(
  error: unknown,
  code?: TCode,
): error is UsersServiceError & { code: TCode } {
  return error instanceof UsersServiceError && (code === undefined || error.code === code);
}

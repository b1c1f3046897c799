import { initTRPC, TRPCError } from "@trpc/server";
import type { RequestContext } from "./context";
import type { ErrorCode } from "./error-codes";
import { describeError, toTrpcError } from "./errors";
import { requestScope } from "./request-scope";

/**
 * Route metadata: structurally the `openapi` meta the REST adapter reads, declared here so
 * the router type (and the SDK's `.d.ts`) imports nothing from the adapter's package.
 */
export type RouteMeta = {
  /**
   * The API-key scope a caller needs (issue 16: scoped keys). Declared next to each procedure;
   * enforced by the scoped-key middleware and shown in the OpenAPI document.
   */
  scope?: ApiScope;
  /** REST status of a success when not 200 (e.g. 201 on create); also documented. */
  successStatus?: number;
  /** A non-2xx status whose body is still the procedure's output (health's 503). */
  outputAlsoOn?: number;
  openapi?: {
    method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
    path: `/${string}`;
    summary?: string;
    description?: string;
    tags?: string[];
    protect?: boolean;
    successDescription?: string;
    errorResponses?: Record<number, string>;
  };
};

/** The scopes an API key can hold (least privilege: a key gets only what its caller needs). */
export const apiScopes = ["users:read", "users:write", "auth", "admin"] as const;
export type ApiScope = (typeof apiScopes)[number];

/** The `data` of every error, on tRPC and (reshaped) on REST. */
export type ErrorData = {
  code: ErrorCode;
  httpStatus: number;
  path: string | undefined;
  issues: { path: string; message: string }[];
  retryAfterSeconds: number | undefined;
};

export const t = initTRPC
  .context<RequestContext>()
  .meta<RouteMeta>()
  .create({
    errorFormatter({ shape, error, path }) {
      const described = describeError(error);
      const data: ErrorData = {
        code: described.code,
        httpStatus: described.httpStatus,
        path,
        issues: described.issues,
        retryAfterSeconds: described.retryAfterSeconds,
      };
      // No stack, whatever the environment.
      return { code: shape.code, message: described.message, data };
    },
  });

/**
 * Applies the route's success status, runs the procedure in the request's scope (the audit
 * trail reads the actor, IP and request id from it), and turns domain errors into TRPCErrors.
 */
const mapDomainErrors = t.middleware(async ({ meta, ctx, next }) => {
  if (meta?.successStatus) ctx.response.status = meta.successStatus;
  const result = await requestScope.run(ctx, next);
  if (!result.ok) throw toTrpcError(result.error);
  return result;
});

/** Procedures anyone may call (health, liveness). */
export const publicProcedure = t.procedure.use(mapDomainErrors);

/** The error response of routes that hash a password, for their OpenAPI meta. */
export const hashBusyResponse = {
  503: "SERVICE_BUSY (see Retry-After): too many password checks are waiting; retry shortly",
} as const;

/** Procedures that need `Authorization: Bearer <key>` with a configured key. */
export function createApiProcedure(isAuthorized: (authorization: string | undefined) => boolean) {
  return publicProcedure.use(({ ctx, next }) => {
    if (!isAuthorized(ctx.authorization)) {
      throw new TRPCError({
        code: "UNAUTHORIZED",
        message: ctx.authorization
          ? "The API key is not valid."
          : "Missing API key: send 'Authorization: Bearer <key>'.",
      });
    }
    return next();
  });
}

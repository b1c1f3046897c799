import { initTRPC, TRPCError } from "@trpc/server";
import type { RequestContext } from "./context";
import type { ErrorCode } from "./error-codes";
import { describeError, toTrpcError } from "./errors";
import { requestScope } from "./request-scope";
import { InsufficientScopeError } from "./scope-error";

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
  /**
   * Input fields that need a further scope when sent: `{ role: { scope: "admin" } }` (any
   * value), or only for some values (`values: ["admin"]`). Enforced and documented like `scope`.
   */
  fieldScopes?: Readonly<Record<string, { scope: ApiScope; values?: readonly string[] }>>;
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
  /** INSUFFICIENT_SCOPE only: the scope the caller's key lacks. */
  requiredScope: ApiScope | undefined;
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
        requiredScope: described.requiredScope,
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

/** The first scope a call needs that `held` lacks: the procedure's, then its input fields'. */
export function missingScope(
  meta: RouteMeta,
  input: unknown,
  held: readonly ApiScope[],
): { scope: ApiScope; field?: string } | undefined {
  if (meta.scope && !held.includes(meta.scope)) return { scope: meta.scope };
  if (typeof input !== "object" || input === null) return undefined;
  for (const [field, rule] of Object.entries(meta.fieldScopes ?? {})) {
    const value: unknown = (input as Record<string, unknown>)[field];
    if (value === undefined || held.includes(rule.scope)) continue;
    if (!rule.values || rule.values.includes(String(value))) return { scope: rule.scope, field };
  }
  return undefined;
}

/**
 * Procedures that need `Authorization: Bearer <key>` with a configured key (401
 * INVALID_API_KEY otherwise) holding the scope of the procedure's meta, and those of the
 * input fields it sends (403 INSUFFICIENT_SCOPE naming the missing scope otherwise).
 */
export function createApiProcedure() {
  return publicProcedure.use(async ({ ctx, meta, path, getRawInput, next }) => {
    const { caller } = ctx;
    if (!caller) {
      throw new TRPCError({
        code: "UNAUTHORIZED",
        message: ctx.authorization
          ? "The API key is not valid."
          : "Missing API key: send 'Authorization: Bearer <key>'.",
      });
    }
    // Never reached: the router is checked at start (assertScopesDeclared). Fail closed anyway.
    if (!meta?.scope)
      throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `${path} declares no scope` });
    const missing = missingScope(meta, await getRawInput(), caller.scopes);
    if (missing) {
      const what = missing.field ? `sending \`${missing.field}\` to ${path}` : path;
      const rest = meta.openapi ? ` (${meta.openapi.method} /api${meta.openapi.path})` : "";
      const message = `The API key "${caller.name}" lacks the scope "${missing.scope}" that ${what}${missing.field ? "" : rest} needs; use a key holding it.`;
      throw new TRPCError({
        code: "FORBIDDEN",
        message,
        cause: new InsufficientScopeError(missing.scope, message),
      });
    }
    return next();
  });
}

/**
 * Fails the start when a procedure declares no scope: each must have `meta.scope`, unless it
 * is public (`openapi.protect: false`: health, liveness). A forgotten scope is thus never
 * served, open or closed.
 */
export function assertScopesDeclared(procedures: Record<string, unknown>): void {
  const missing = Object.entries(procedures)
    .filter(([, procedure]) => {
      const meta = metaOf(procedure);
      return !meta?.scope && meta?.openapi?.protect !== false;
    })
    .map(([path]) => path);
  if (missing.length > 0) {
    throw new Error(
      `Procedures without a scope: ${missing.join(", ")}. Declare one in .meta({ scope: ... }) (${apiScopes.join(", ")}), or openapi.protect: false for a public route.`,
    );
  }
}

/** The meta of a procedure of `router._def.procedures`. */
export function metaOf(procedure: unknown): RouteMeta | undefined {
  if (typeof procedure !== "function" && typeof procedure !== "object") return undefined;
  const def: unknown = procedure && "_def" in procedure ? procedure._def : undefined;
  return def && typeof def === "object" && "meta" in def ? (def.meta as RouteMeta | undefined) : undefined;
}

import type { TRPCError } from "@trpc/server";
import type { RequestContext } from "../../src/context";
import { describeError } from "../../src/errors";

type MetaInput = { ctx?: RequestContext | undefined; errors: readonly TRPCError[] };

/** Retry-After on errors that carry one (429, 503), as today's listener sends. */
export function errorHeaders({ errors }: MetaInput): { headers?: Record<string, string> } {
  const retryAfter = errors[0] && describeError(errors[0]).retryAfterSeconds;
  return retryAfter === undefined ? {} : { headers: { "Retry-After": String(retryAfter) } };
}

/** REST: also the status a procedure asked for (201 on create, 503 from health). */
export function restResponseMeta(input: MetaInput): { status?: number; headers?: Record<string, string> } {
  if (input.errors.length > 0) return errorHeaders(input);
  return input.ctx?.response.status ? { status: input.ctx.response.status } : {};
}

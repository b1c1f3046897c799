import type { TRPCError } from "@trpc/server";
import type { RequestContext } from "../context";
import { describeError } from "../errors";

type MetaInput = { ctx?: RequestContext | undefined; errors: readonly TRPCError[] };

type Meta = { status?: number; headers?: Record<string, string> };

/** Retry-After on errors that carry one (429, 503); used by both dialects. */
export function errorHeaders({ errors }: MetaInput): Meta {
  const first = errors[0];
  if (!first) return {};
  const { retryAfterSeconds } = describeError(first);
  return retryAfterSeconds === undefined ? {} : { headers: { "Retry-After": String(retryAfterSeconds) } };
}

/**
 * REST only: also applies the status a procedure asked for (201 on create, 503 from health).
 * tRPC keeps 200 for data, as its clients expect.
 */
export function restResponseMeta(input: MetaInput): Meta {
  if (input.errors.length > 0) return errorHeaders(input);
  return input.ctx?.response.status ? { status: input.ctx.response.status } : {};
}

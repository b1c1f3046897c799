import type { IncomingMessage, ServerResponse } from "node:http";
import type { TRPCError } from "@trpc/server";
import { createOpenApiNodeHttpHandler } from "trpc-to-openapi";
import type { ContextFactory, RequestContext } from "../context";
import type { ErrorDescription } from "../errors";
import type { AppRouter } from "../router";
import { sendError } from "./respond";

/**
 * What trpc-to-openapi's handler writes, kept instead of sent: the members it uses are the
 * ones its own fetch adapter provides (status, headers, one `end`), plus the `close` events
 * and `writableEnded` of the real response, which abort the procedure if the client leaves.
 */
function createAnswer(res: ServerResponse) {
  const headers = new Map<string, string | number | readonly string[]>();
  const answer = {
    statusCode: 200,
    body: undefined as string | undefined,
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, value);
      return answer;
    },
    end(body?: string) {
      answer.body = body;
      return answer;
    },
    once: (event: "close", listener: () => void) => res.once(event, listener),
    off: (event: "close", listener: () => void) => res.off(event, listener),
    get writableEnded() {
      return res.writableEnded;
    },
    /** Sends what was kept. */
    send() {
      res.statusCode = answer.statusCode;
      for (const [name, value] of headers) res.setHeader(name, value);
      res.end(answer.body);
    },
  };
  return answer;
}

/**
 * The REST dialect: trpc-to-openapi's node handler (with the request body already read and
 * parsed by us, on `req.body`). A failed procedure is answered from its error description,
 * handed over by `onError`; data (even on a 4xx/5xx status, as health's 503) as written.
 */
export function createRestHandler(options: {
  router: AppRouter;
  createContext: ContextFactory;
  onError: (error: TRPCError, req: IncomingMessage, path: string | undefined) => ErrorDescription;
}) {
  const failures = new WeakMap<IncomingMessage, ErrorDescription>();
  const handler = createOpenApiNodeHttpHandler({
    router: options.router,
    createContext: ({ req }): RequestContext => options.createContext(req),
    // The status a procedure asked for (201 on create, 503 from health).
    responseMeta: ({ ctx, errors }) =>
      errors.length === 0 && ctx?.response.status ? { status: ctx.response.status } : {},
    onError: ({ error, req, path }) => failures.set(req, options.onError(error, req, path)),
  });
  return async (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: () => void) => {
    const answer = createAnswer(res);
    let passed = false;
    // The handler needs only what `createAnswer` keeps (see there), not a whole ServerResponse.
    await handler(req, answer as unknown as ServerResponse, () => {
      passed = true;
      next();
    });
    if (passed) return;
    const failure = failures.get(req);
    if (failure) sendError(res, failure);
    else answer.send();
  };
}

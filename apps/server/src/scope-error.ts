import type { ApiScope } from "./trpc";

/** A caller's key lacks the scope a procedure (or a field of its input) needs: 403 INSUFFICIENT_SCOPE. */
export class InsufficientScopeError extends Error {
  readonly scope: ApiScope;
  constructor(scope: ApiScope, message: string) {
    super(message);
    this.name = "InsufficientScopeError";
    this.scope = scope;
  }
}
